package gpu.hw.internal;

import iommu.hw.Access;
import iommu.hw.AtsPort;
import iommu.hw.DmaResult;
import iommu.hw.FaultKind;
import iommu.hw.Translation;

/**
 * A GPU's own DMA with ATS: each page's translation from its {@link DeviceTlb}, or on a miss from a
 * translation request to the IOMMU unit (which may make a page request), then a translated request
 * (physical address) through the unit's {@link AtsPort}; a page not present becomes a page request
 * group of that page and the next ones the transfer goes on to (up to {@link AtsPort#MAX_PAGE_GROUP}).
 * A copy extends over pages the cache maps to contiguous frames on both sides, up to a bank. A
 * request the unit refuses (the GPU timed out an invalidation) stops the transfer with a fault.
 */
final class AtsDma implements EngineDma {
    private static final int RUN_BYTES = 256 * 1024;

    private final AtsPort port;
    private final DeviceTlb tlb;

    AtsDma(AtsPort port, DeviceTlb tlb) {
        this.port = port;
        this.tlb = tlb;
    }

    /** One step inside a read hold: bytes moved, 0 to translate {@code miss} first, -1 refused by the unit. */
    private interface Step {
        int run(long done, Miss miss);
    }

    /**
     * The address (and access) a step could not translate or the unit refused, and where that side's
     * transfer ends; the transfer's device-TLB hits and misses so far (added to the TLB's counts at its end);
     * and the last translation completion of each access, which the transfer uses even when the device
     * TLB evicted it meanwhile (a copy whose two sides share a slot would otherwise ask for them in turn
     * forever), as long as no invalidation began since its request was sent.
     */
    private static final class Miss {
        long va;
        Access access;
        long end;
        long hits;
        long misses;
        private final long[] completedPage = {-1, -1};
        private final long[] completedFrame = new long[2];
        private final long[] completedGeneration = new long[2];

        /** The unit answered the translation request for {@code va} (sent at {@code generation}) with {@code frame}. */
        void completed(long va, Access access, long frame, long generation) {
            int k = access == Access.WRITE ? 1 : 0;
            completedPage[k] = va >>> 12;
            completedFrame[k] = frame;
            completedGeneration[k] = generation;
        }

        /**
         * The physical page of {@code va} from the last completion for {@code access} (a write's serves
         * reads too), if no invalidation began since its request ({@code generation} is the device TLB's
         * now); else {@link DeviceTlb#MISS}. Call inside a read hold, so that a later invalidation waits.
         */
        long completion(long va, Access access, long generation) {
            for (int k = access == Access.WRITE ? 1 : 0; k < 2; k++) {
                if (completedPage[k] == va >>> 12 && completedGeneration[k] == generation) {
                    return completedFrame[k];
                }
            }
            return DeviceTlb.MISS;
        }

        long set(long va, Access access, long end) {
            this.va = va;
            this.access = access;
            this.end = end;
            return DeviceTlb.MISS;
        }

        /** The pages of the transfer from the missed one on: how many a page request group asks for. */
        int pages() {
            long pages = ((end - 1) >>> 12) - (va >>> 12) + 1;
            return (int) Math.max(1, Math.min(pages, AtsPort.MAX_PAGE_GROUP));
        }
    }

    private DmaResult transfer(int pasid, long length, Step step) {
        Miss miss = new Miss();
        try {
            return transfer(pasid, length, step, miss);
        } finally {
            tlb.hits.add(miss.hits);
            tlb.misses.add(miss.misses);
        }
    }

    private DmaResult transfer(int pasid, long length, Step step, Miss miss) {
        long done = 0;
        while (done < length) {
            int moved;
            long stamp = tlb.inFlight.readLock();
            try {
                moved = step.run(done, miss);
            } finally {
                tlb.inFlight.unlockRead(stamp);
            }
            if (moved < 0) {
                return new DmaResult(done, new Translation.Fault(FaultKind.DEVICE_BLOCKED, pasid, miss.va, miss.access));
            }
            if (moved == 0) { // a miss: a translation request, outside the hold (it may page in, which invalidates)
                long generation = tlb.generation();
                Translation t = request(pasid, miss.va, miss.access, miss.pages(), generation);
                if (t instanceof Translation.Fault f) {
                    return new DmaResult(done, f);
                }
                miss.completed(miss.va, miss.access, ((Translation.Mapping) t).physicalAddress(miss.va) & ~0xFFFL, generation);
                continue;
            }
            done += moved;
        }
        return new DmaResult(done, null);
    }

    /**
     * A device-TLB miss at {@code va}: a translation request to the unit (a page not present becomes a
     * page request group of {@code pages} pages), and the device TLB filled with the mapping unless an
     * invalidation began meanwhile. Call outside a read hold of {@link DeviceTlb#inFlight}.
     */
    Translation request(int pasid, long va, Access access, int pages) {
        return request(pasid, va, access, pages, tlb.generation());
    }

    private Translation request(int pasid, long va, Access access, int pages, long generation) {
        tlb.requests.increment();
        Translation t = port.translate(pasid, va, access, pages);
        if (t instanceof Translation.Mapping m) {
            tlb.fill(pasid, va, m, rights(access), generation);
        }
        return t;
    }

    private static long rights(Access access) {
        return access == Access.WRITE ? DeviceTlb.READ | DeviceTlb.WRITE : DeviceTlb.READ;
    }

    private long translated(int pasid, long va, Access access, long end, Miss miss) {
        long page = tlb.lookup(pasid, va, rights(access));
        if (page == DeviceTlb.MISS) {
            page = miss.completion(va, access, tlb.generation());
        }
        if (page == DeviceTlb.MISS) {
            miss.misses++;
            return miss.set(va, access, end);
        }
        miss.hits++;
        return page;
    }

    private DmaResult buffer(int pasid, long va, byte[] buffer, Access access) {
        return transfer(pasid, buffer.length, (done, miss) -> {
            long at = va + done;
            long page = translated(pasid, at, access, va + buffer.length, miss);
            if (page == DeviceTlb.MISS) {
                return 0;
            }
            int n = (int) Math.min(4096 - (at & 0xFFF), buffer.length - done);
            boolean ok = access == Access.WRITE ? port.write(page | (at & 0xFFF), buffer, (int) done, n)
                    : port.read(page | (at & 0xFFF), buffer, (int) done, n);
            if (!ok) {
                miss.set(at, access, va + buffer.length);
                return -1;
            }
            return n;
        });
    }

    @Override
    public DmaResult read(int pasid, long va, byte[] dst) {
        return buffer(pasid, va, dst, Access.READ);
    }

    @Override
    public DmaResult write(int pasid, long va, byte[] src) {
        return buffer(pasid, va, src, Access.WRITE);
    }

    @Override
    public DmaResult copy(int pasid, long srcVa, long dstVa, long length) {
        if (length < 0) {
            throw new IllegalArgumentException("DMA copy length must be >= 0, not " + length);
        }
        return transfer(pasid, length, (done, miss) -> {
            long from = srcVa + done;
            long to = dstVa + done;
            long src = translated(pasid, from, Access.READ, srcVa + length, miss);
            if (src == DeviceTlb.MISS) {
                return 0;
            }
            long dst = translated(pasid, to, Access.WRITE, dstVa + length, miss);
            if (dst == DeviceTlb.MISS) {
                return 0;
            }
            long left = length - done;
            int n = (int) Math.min(Math.min(4096 - (from & 0xFFF), 4096 - (to & 0xFFF)), left);
            // while the cache maps the next pages of both sides to the next frames, one copy covers them
            while ((from & 0xFFF) == 0 && (to & 0xFFF) == 0 && n < RUN_BYTES && n < left
                    && tlb.lookup(pasid, from + n, DeviceTlb.READ) == src + n
                    && tlb.lookup(pasid, to + n, DeviceTlb.READ | DeviceTlb.WRITE) == dst + n) {
                n += (int) Math.min(4096, left - n);
            }
            if (!port.copy(src | (from & 0xFFF), dst | (to & 0xFFF), n)) {
                miss.set(from, Access.READ, srcVa + length);
                return -1;
            }
            return n;
        });
    }
}
