package iommu.hw.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

import iommu.hw.FaultRecord;
import iommu.hw.Translation;

/** A bounded log of the most recent faults, like the fault-recording registers of an IOMMU. */
final class FaultLog {
    private final int capacity;
    private final ArrayDeque<FaultRecord> records = new ArrayDeque<>();
    private long sequence;

    FaultLog(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("fault log capacity must be >= 1, not " + capacity);
        }
        this.capacity = capacity;
    }

    synchronized void record(Translation.Fault fault) {
        if (records.size() == capacity) {
            records.removeFirst();
        }
        records.addLast(new FaultRecord(++sequence, fault));
    }

    synchronized List<FaultRecord> snapshot() {
        return new ArrayList<>(records);
    }

    synchronized long total() {
        return sequence;
    }
}
