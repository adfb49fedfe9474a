package iommu.hw.internal;

import java.util.function.Consumer;

import iommu.hw.Access;
import iommu.hw.AtsDevice;
import iommu.hw.AtsPort;
import iommu.hw.RequesterId;
import iommu.hw.SystemMemory;
import iommu.hw.Translation;

/**
 * One attached ATS device's port: translation requests go to the unit's {@code translate}; translated
 * requests reach memory inside the unit's {@link InflightGate} and only while the device is not blocked,
 * so that the wait descriptor after a device-TLB invalidation the device timed out drains every
 * translated request that passed the check before the block.
 */
final class UnitAtsPort implements AtsPort {
    interface Translate {
        Translation translate(RequesterId requester, int pasid, long va, Access access, int pages);
    }

    final AtsDevice device;
    private final int unit;
    private final RequesterId requester;
    private final SystemMemory memory;
    private final InflightGate gate;
    private final Translate translate;
    private final Consumer<UnitAtsPort> detach;
    private volatile boolean blocked;
    private volatile boolean closed;

    UnitAtsPort(int unit, RequesterId requester, AtsDevice device, SystemMemory memory, InflightGate gate,
                Translate translate, Consumer<UnitAtsPort> detach) {
        this.unit = unit;
        this.requester = requester;
        this.device = device;
        this.memory = memory;
        this.gate = gate;
        this.translate = translate;
        this.detach = detach;
    }

    @Override
    public int unit() {
        return unit;
    }

    @Override
    public int requesterId() {
        return requester.value();
    }

    @Override
    public Translation translate(int pasid, long va, Access access, int pages) {
        return translate.translate(requester, pasid, va, access, Math.max(1, Math.min(pages, MAX_PAGE_GROUP)));
    }

    /** The unit refuses the device's translated requests from now on (an invalidation time-out). */
    void block() {
        blocked = true;
    }

    @Override
    public boolean blocked() {
        return blocked || closed;
    }

    @Override
    public void reset() {
        blocked = false;
    }

    private interface Access4 {
        void run();
    }

    private boolean translated(Access4 op) {
        int token = gate.enter();
        try {
            if (blocked || closed) {
                return false;
            }
            op.run();
            return true;
        } finally {
            gate.exit(token);
        }
    }

    @Override
    public boolean read(long pa, byte[] dst, int offset, int length) {
        return translated(() -> memory.read(pa, dst, offset, length));
    }

    @Override
    public boolean write(long pa, byte[] src, int offset, int length) {
        return translated(() -> memory.write(pa, src, offset, length));
    }

    @Override
    public boolean copy(long srcPa, long dstPa, int length) {
        return translated(() -> memory.copy(srcPa, dstPa, length));
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            detach.accept(this);
        }
    }
}
