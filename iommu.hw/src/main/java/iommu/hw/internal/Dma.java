package iommu.hw.internal;

import java.util.function.Consumer;

import iommu.hw.Access;
import iommu.hw.DmaResult;
import iommu.hw.PageSize;
import iommu.hw.SystemMemory;
import iommu.hw.Translation.Fault;
import iommu.hw.RequesterId;

/**
 * A unit's bus-master DMA port: transfers of one requester translated page by page through a {@link UnitPort}, inside the
 * {@link InflightGate} so that an invalidation waits for every transfer that may still use what it
 * removed. A not-present page's page request is made outside the gate (the OS's answer may invalidate),
 * then the transfer goes on from that page.
 */
final class Dma {
    /** DMA re-enters the gate at least every this many pages, so invalidations never wait long. */
    private static final int PAGES_PER_GATE = 64;
    /** A copy extends over physically contiguous pages up to this many bytes at once (a memory bank). */
    private static final int RUN_BYTES = 256 * 1024;

    private final int unit;
    private final SystemMemory memory;
    private final Translator translator;
    private final InflightGate gate;
    private final Consumer<UnitPort> retire;

    Dma(int unit, SystemMemory memory, Translator translator, InflightGate gate, Consumer<UnitPort> retire) {
        this.unit = unit;
        this.memory = memory;
        this.translator = translator;
        this.gate = gate;
        this.retire = retire;
    }

    /** One step of a transfer: translates at position {@code done} and moves up to a run of pages. */
    private interface Step {
        /** Returns the bytes moved, or -1 with the fault in the port's {@link UnitPort#lastFault()}. */
        int run(long done, UnitPort port);
    }

    private DmaResult transfer(RequesterId requester, int pasid, long length, Step step) {
        Translator.checkPasid(pasid);
        long done = 0;
        int attempts = 0;
        UnitPort port = new UnitPort(unit, requester, translator, retire);
        try {
            while (done < length) {
                Fault pending = null;
                int token = gate.enter();
                try {
                    for (int pages = 0; done < length && pages < PAGES_PER_GATE; pages++) {
                        int moved = step.run(done, port);
                        if (moved < 0) {
                            pending = port.lastFault();
                            break;
                        }
                        done += moved;
                        attempts = 0;
                    }
                } finally {
                    gate.exit(token);
                }
                if (pending != null) {
                    Fault recorded = translator.settle(pending.kind(), ++attempts, requester, pasid, pending.va(), pending.access(), 1);
                    if (recorded != null) {
                        return new DmaResult(done, recorded);
                    }
                }
            }
            return new DmaResult(done, null);
        } finally {
            port.close();
        }
    }

    private static int bytesToPageEnd(long word, long va, long remaining) {
        PageSize size = PackedWalk.sizeOf(word);
        long toEnd = size.bytes() - (va & size.offsetMask());
        return (int) Math.min(Math.min(toEnd, remaining), Integer.MAX_VALUE);
    }

    /** A read into, or a write from, {@code buffer}: page by page, one bulk copy each. */
    DmaResult transferBuffer(RequesterId requester, int pasid, long va, byte[] buffer, Access access) {
        long need = Translator.needed(access);
        boolean write = access == Access.WRITE;
        return transfer(requester, pasid, buffer.length, (done, port) -> {
            long at = va + done;
            long word = port.word(pasid, at, access, need);
            if (word < 0) {
                return -1;
            }
            int n = bytesToPageEnd(word, at, buffer.length - done);
            if (write) {
                memory.write(PackedWalk.physicalAddress(word, at), buffer, (int) done, n);
            } else {
                memory.read(PackedWalk.physicalAddress(word, at), buffer, (int) done, n);
            }
            return n;
        });
    }

    DmaResult copy(RequesterId requester, int pasid, long srcVa, long dstVa, long length) {
        if (length < 0) {
            throw new IllegalArgumentException("DMA copy length must be >= 0, not " + length);
        }
        long needRead = Translator.needed(Access.READ);
        long needWrite = Translator.needed(Access.WRITE);
        Iotlb iotlb = translator.iotlb;
        return transfer(requester, pasid, length, (done, port) -> {
            long from = srcVa + done;
            long to = dstVa + done;
            long s = port.word(pasid, from, Access.READ, needRead);
            if (s < 0) {
                return -1;
            }
            long d = port.word(pasid, to, Access.WRITE, needWrite);
            if (d < 0) {
                return -1;
            }
            long srcPa = PackedWalk.physicalAddress(s, from);
            long dstPa = PackedWalk.physicalAddress(d, to);
            int n = Math.min(bytesToPageEnd(s, from, length - done), bytesToPageEnd(d, to, length - done));
            // while the IOTLB maps the next 4 KiB pages of both sides to the next frames, one copy covers them
            long left = length - done;
            if (n < RUN_BYTES && n < left && ((from + n) & 0xFFF) == 0 && ((to + n) & 0xFFF) == 0) {
                int max = (int) Math.min((RUN_BYTES - n) >>> 12, (left - n) >>> 12);
                int pages = iotlb.contiguousPages(pasid, from + n, srcPa + n, needRead, max);
                if (pages > 0) {
                    pages = iotlb.contiguousPages(pasid, to + n, dstPa + n, needWrite, pages);
                }
                port.countHits(2L * pages);
                n += pages << 12;
            }
            memory.copy(srcPa, dstPa, n);
            return n;
        });
    }
}
