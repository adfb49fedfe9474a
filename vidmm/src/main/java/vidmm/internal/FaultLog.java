package vidmm.internal;

import java.util.ArrayList;
import java.util.LinkedList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import kmd.api.EngineNode;
import vidmm.GpuFault;

/** VidMm's log of GPU faults and timeouts: the most recent {@link #SIZE}, oldest first. Thread safe. */
final class FaultLog {
    static final int SIZE = 256;

    private final LinkedList<GpuFault> faults = new LinkedList<>();
    private final AtomicLong sequence = new AtomicLong();

    private long nextSequence() {
        return sequence.incrementAndGet();
    }

    private synchronized void add(GpuFault fault) {
        if (faults.size() == SIZE) {
            faults.removeFirst();
        }
        faults.addLast(fault);
    }

    /**
     * Records a fault whose recovery is still to come ({@code outcome} says what is pending), with the
     * next sequence number; {@link #resolve} gives it its outcome.
     */
    GpuFault pending(long device, int pid, EngineNode node, int pasid, long va, boolean write, String reason,
            String outcome, int adapter) {
        return pending(device, pid, node, pasid, va, write, reason, outcome, adapter, "");
    }

    /** As above, with the driver's interrupt as the WDK names its fields. */
    GpuFault pending(long device, int pid, EngineNode node, int pasid, long va, boolean write, String reason,
            String outcome, int adapter, String interrupt) {
        GpuFault f = new GpuFault(nextSequence(), device, pid, node, pasid, va, write, reason, outcome, adapter, interrupt);
        add(f);
        return f;
    }

    /** The recovery of {@code pending} is done: its record says {@code outcome} from now on, and is returned. */
    synchronized GpuFault resolve(GpuFault pending, String outcome) {
        GpuFault done = new GpuFault(pending.sequence(), pending.device(), pending.pid(), pending.node(), pending.pasid(),
                pending.va(), pending.write(), pending.reason(), outcome, pending.adapter(), pending.interrupt());
        faults.replaceAll(x -> x == pending ? done : x);
        return done;
    }

    synchronized List<GpuFault> list() {
        return new ArrayList<>(faults);
    }
}
