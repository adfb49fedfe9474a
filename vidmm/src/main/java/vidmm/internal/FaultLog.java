package vidmm.internal;

import java.util.ArrayList;
import java.util.LinkedList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import vidmm.GpuFault;

/** VidMm's log of GPU faults and timeouts: the most recent {@link #SIZE}, oldest first. Thread safe. */
final class FaultLog {
    static final int SIZE = 256;

    private final LinkedList<GpuFault> faults = new LinkedList<>();
    private final AtomicLong sequence = new AtomicLong();

    long nextSequence() {
        return sequence.incrementAndGet();
    }

    synchronized void add(GpuFault fault) {
        if (faults.size() == SIZE) {
            faults.removeFirst();
        }
        faults.addLast(fault);
    }

    /** Puts {@code done} where {@code pending} was (its outcome is known now). */
    synchronized void replace(GpuFault pending, GpuFault done) {
        faults.replaceAll(x -> x == pending ? done : x);
    }

    synchronized List<GpuFault> list() {
        return new ArrayList<>(faults);
    }
}
