package iommu.hw.internal;

import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventAdmin;
import org.osgi.service.metatype.annotations.Designate;

import iommu.hw.Access;
import iommu.hw.DmaInitiator;
import iommu.hw.DmaResult;
import iommu.hw.FaultKind;
import iommu.hw.FaultRecord;
import iommu.hw.Invalidation;
import iommu.hw.Iommu;
import iommu.hw.IommuEvents;
import iommu.hw.IommuStats;
import iommu.hw.PageRequest;
import iommu.hw.PageRequestHandler;
import iommu.hw.PageResponse;
import iommu.hw.PageSize;
import iommu.hw.PageTableWalker;
import iommu.hw.Pasid;
import iommu.hw.SystemMemory;
import iommu.hw.Translation;
import iommu.hw.Translation.Fault;
import iommu.hw.Translation.Mapping;

/**
 * The IOMMU: PASID table -> IOTLB lookup -> on a miss, a pure page walk -> IOTLB fill. Also the
 * bus-master DMA port through which devices reach memory.
 *
 * <p>Stale translations are excluded by two mechanisms. IOTLB fills and invalidations are ordered
 * by {@link #lock}, and a walk that started before an invalidation does not fill (the generation
 * check). DMA runs inside the {@link InflightGate}, and every invalidation drains the gate before
 * it returns, so no transfer still uses a translation it removed.
 */
@Component(service = {Iommu.class, DmaInitiator.class}, configurationPid = IommuConfig.PID, immediate = true,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = IommuConfig.class, factory = true)
public final class IommuUnit implements Iommu, DmaInitiator {
    /** DMA re-enters the gate at least every this many pages, so invalidations never wait long. */
    private static final int PAGES_PER_GATE = 64;
    /** A copy extends over physically contiguous pages up to this many bytes at once (a memory bank). */
    private static final int RUN_BYTES = 256 * 1024;

    private final int unit;
    private final SystemMemory memory;
    private final Iotlb iotlb;
    private final PasidTable pasids = new PasidTable();
    private final FaultLog faultLog;
    private final int pageRequestAttempts;
    private final InflightGate gate = new InflightGate();
    private final Object lock = new Object();
    private final AtomicReference<PageRequestHandler> handler = new AtomicReference<>();

    private final PerThreadCounter hits = new PerThreadCounter();
    private final LongAdder misses = new LongAdder();
    private final LongAdder pageRequests = new LongAdder();
    private final LongAdder pageRequestsFailed = new LongAdder();
    private final LongAdder invalidations = new LongAdder();

    /** Faults, page requests and invalidations go to it as events ({@link IommuEvents}) when there is one. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile EventAdmin events;

    /**
     * Builds the IOMMU from configuration. An attribute outside its metatype range is reported and
     * replaced by its default, so that a bad configuration never leaves the machine without an IOMMU.
     */
    @Activate
    public IommuUnit(@Reference SystemMemory memory, IommuConfig config) {
        this(memory, configured("iommu.unit", config.iommu_unit(), 0, 15, false, 0),
                configured("iotlbEntries", config.iotlbEntries(), 1, 1 << 20, true, 65536),
                configured("faultLogSize", config.faultLogSize(), 1, 65536, false, 256),
                configured("pageRequestAttempts", config.pageRequestAttempts(), 1, 64, false, 4));
    }

    private static int configured(String name, int value, int min, int max, boolean powerOfTwo, int fallback) {
        if (value < min || value > max || (powerOfTwo && Integer.bitCount(value) != 1)) {
            System.getLogger(IommuUnit.class.getName()).log(System.Logger.Level.ERROR, "configuration "
                    + IommuConfig.PID + ": " + name + " must be " + min + ".." + max + (powerOfTwo ? " and a power of two" : "")
                    + ", not " + value + "; using " + fallback);
            return fallback;
        }
        return value;
    }

    /** The IOMMU's geometry is fixed while the machine runs; a new configuration applies at the next start. */
    @Modified
    void modified(IommuConfig config) {
        System.getLogger(IommuUnit.class.getName()).log(System.Logger.Level.WARNING, "configuration "
                + IommuConfig.PID + " changed; it takes effect at the next start of the iommu.hw bundle");
    }

    /** Unit 0. */
    public IommuUnit(SystemMemory memory, int iotlbEntries, int faultLogSize, int pageRequestAttempts) {
        this(memory, 0, iotlbEntries, faultLogSize, pageRequestAttempts);
    }

    public IommuUnit(SystemMemory memory, int unit, int iotlbEntries, int faultLogSize, int pageRequestAttempts) {
        if (pageRequestAttempts < 1) {
            throw new IllegalArgumentException("page request attempts must be >= 1, not " + pageRequestAttempts);
        }
        this.unit = unit;
        this.memory = memory;
        this.iotlb = new Iotlb(iotlbEntries);
        this.faultLog = new FaultLog(faultLogSize);
        this.pageRequestAttempts = pageRequestAttempts;
    }

    @Override
    public int unit() {
        return unit;
    }

    @Override
    public void setPageRequestHandler(PageRequestHandler h) {
        handler.set(java.util.Objects.requireNonNull(h, "page request handler"));
    }

    @Override
    public void clearPageRequestHandler(PageRequestHandler h) {
        handler.compareAndSet(h, null);
    }

    // ---- PASID table ----

    @Override
    public void bind(int pasid, long root) {
        Pasid.check(pasid);
        if ((root & (SystemMemory.FRAME_SIZE - 1)) != 0 || root < 0 || root >= memory.size()) {
            throw new IllegalArgumentException(String.format(
                    "page-table root 0x%x for PASID %d is not a page-aligned address inside system memory", root, pasid));
        }
        synchronized (lock) {
            if (pasids.root(pasid) >= 0) {
                throw new IllegalStateException("PASID " + pasid + " is already bound");
            }
            pasids.set(pasid, root);
        }
    }

    @Override
    public void unbind(int pasid) {
        Pasid.check(pasid);
        synchronized (lock) {
            if (pasids.root(pasid) < 0) {
                throw new IllegalStateException("PASID " + pasid + " is not bound");
            }
            pasids.clear(pasid);
        }
        invalidate(new Invalidation.OfPasid(pasid));
    }

    @Override
    public SortedMap<Integer, Long> boundPasids() {
        return Collections.unmodifiableSortedMap(pasids.entries());
    }

    // ---- translation ----

    @Override
    public Translation translate(int pasid, long va, Access access) {
        checkPasid(pasid);
        for (int attempt = 1; ; attempt++) {
            Translation t = translateOnce(pasid, va, access);
            if (!(t instanceof Fault f)) {
                return t;
            }
            PageResponse response = f.kind() != FaultKind.NOT_PRESENT || attempt > pageRequestAttempts ? null
                    : pageRequest(pasid, va, access);
            if (response != PageResponse.SUCCESS) {
                Fault recorded = response == PageResponse.FAILURE ? failedRequest(f) : f;
                record(recorded);
                return recorded;
            }
        }
    }

    private static void checkPasid(int pasid) {
        if (pasid < 0 || pasid > Pasid.MAX) {
            throw new IllegalArgumentException(String.format(
                    "PASID %d does not fit the 20-bit PASID table (0..%d)", pasid, Pasid.MAX));
        }
    }

    /** IOTLB lookup, or walk and fill; no page request, no fault record. */
    Translation translateOnce(int pasid, long va, Access access) {
        Mapping cached = iotlb.lookup(pasid, va);
        if (cached != null && cached.check(access, true) == null && (access != Access.WRITE || cached.dirty())) {
            hits.increment();
            return cached;
        }
        misses.increment();
        return walkAndFill(pasid, va, access);
    }

    private Translation walkAndFill(int pasid, long va, Access access) {
        long startGeneration = iotlb.generation();
        long root = pasids.root(pasid);
        if (root < 0) {
            return new Fault(FaultKind.PASID_NOT_BOUND, pasid, va, access);
        }
        long pde = iotlb.lookupPde(pasid, va);
        Translation t;
        if (pde != Iotlb.MISS) {
            t = PageTableWalker.walkFromPde(memory, pde, pasid, va, access, true); // one entry read, not four
        } else {
            long[] walked = new long[1];
            t = PageTableWalker.walk(memory, root, pasid, va, access, true, walked);
            if (walked[0] != PageTableWalker.NO_PDE) {
                iotlb.storePde(pasid, va, walked[0], startGeneration);
            }
        }
        if (t instanceof Mapping m) {
            iotlb.store(pasid, m, startGeneration);
        }
        return t;
    }

    /** Rights an access needs in an IOTLB data word (user requests always need USER). */
    private static long needed(Access access) {
        return switch (access) {
            case READ -> Iotlb.USER;
            case WRITE -> Iotlb.USER | Iotlb.WRITABLE | Iotlb.DIRTY;
            case EXECUTE -> Iotlb.USER | Iotlb.EXECUTABLE;
        };
    }

    /**
     * The DMA path: the IOTLB data word for {@code va} (hit, or walk and fill), or -1 with the fault
     * in {@code fault[0]}. Counts into {@code counts} ({hits, misses}) instead of the shared counters.
     */
    private long translateForDma(int pasid, long va, Access access, long need, Fault[] fault, long[] counts) {
        long word = iotlb.lookupData(pasid, va);
        if (word != Iotlb.MISS && (word & need) == need) {
            counts[0]++;
            return word;
        }
        counts[1]++;
        Translation t = walkAndFill(pasid, va, access);
        if (t instanceof Fault f) {
            fault[0] = f;
            return -1;
        }
        return Iotlb.encode((Mapping) t);
    }

    private void record(Fault f) {
        faultLog.record(f);
        post(IommuEvents.FAULT, java.util.Map.of(IommuEvents.PASID, f.pasid(), IommuEvents.VA, f.va(),
                IommuEvents.ACCESS, f.access().name(), IommuEvents.REASON, f.kind().name()));
    }

    private void post(String topic, java.util.Map<String, Object> properties) {
        EventAdmin admin = events;
        if (admin != null) {
            properties = new java.util.HashMap<>(properties);
            properties.put(IommuEvents.NANOS, System.nanoTime());
            try {
                admin.postEvent(new Event(topic, properties));
            } catch (RuntimeException stopping) {
                // an Event Admin that is going away: the model goes on without it
            }
        }
    }

    /** A not-present fault whose page request the OS could not satisfy. */
    private static Fault failedRequest(Fault f) {
        return new Fault(FaultKind.PAGE_REQUEST_FAILED, f.pasid(), f.va(), f.access());
    }

    private PageResponse pageRequest(int pasid, long va, Access access) {
        pageRequests.increment();
        PageRequestHandler h = handler.get();
        PageResponse response;
        try {
            response = h == null ? PageResponse.FAILURE : h.handle(new PageRequest(pasid, va, access));
        } catch (RuntimeException e) {
            response = PageResponse.FAILURE;
        }
        response = response == null ? PageResponse.FAILURE : response;
        if (response != PageResponse.SUCCESS) {
            pageRequestsFailed.increment();
        }
        post(IommuEvents.PAGE_REQUEST, java.util.Map.of(IommuEvents.PASID, pasid, IommuEvents.VA, va,
                IommuEvents.ACCESS, access.name(), IommuEvents.RESPONSE, response.name()));
        return response;
    }

    @Override
    public void invalidate(Invalidation scope) {
        java.util.Objects.requireNonNull(scope, "invalidation scope");
        iotlb.invalidate(scope);
        invalidations.increment();
        gate.drain();
        if (scope instanceof Invalidation.OfRange r) {
            post(IommuEvents.INVALIDATION, java.util.Map.of(IommuEvents.SCOPE, "range", IommuEvents.PASID, r.pasid(),
                    IommuEvents.VA, r.va(), IommuEvents.LENGTH, r.length()));
        } else if (scope instanceof Invalidation.OfPasid p) {
            post(IommuEvents.INVALIDATION, java.util.Map.of(IommuEvents.SCOPE, "pasid", IommuEvents.PASID, p.pasid()));
        } else {
            post(IommuEvents.INVALIDATION, java.util.Map.of(IommuEvents.SCOPE, "all"));
        }
    }

    @Override
    public IommuStats stats() {
        long h = hits.sum();
        long m = misses.sum();
        int entries = iotlb.size();
        return new IommuStats(h + m, h, m, faultLog.total(), pageRequests.sum(), pageRequestsFailed.sum(),
                invalidations.sum(), entries);
    }

    @Override
    public List<FaultRecord> faults() {
        return faultLog.snapshot();
    }

    // ---- DMA ----

    /** One step of a transfer: translates at position {@code done} and moves up to a page. */
    private interface Step {
        /** Returns the bytes moved, or -1 after storing the fault in {@code fault[0]}. */
        int run(long done, Fault[] fault, long[] counts);
    }

    private DmaResult transfer(int pasid, long length, Step step) {
        checkPasid(pasid);
        long done = 0;
        int attempts = 0;
        Fault[] fault = new Fault[1];
        long[] counts = new long[2];
        try {
            while (done < length) {
                Fault pending = null;
                int token = gate.enter();
                try {
                    for (int pages = 0; done < length && pages < PAGES_PER_GATE; pages++) {
                        int moved = step.run(done, fault, counts);
                        if (moved < 0) {
                            pending = fault[0];
                            break;
                        }
                        done += moved;
                        attempts = 0;
                    }
                } finally {
                    gate.exit(token);
                }
                if (pending != null) {
                    PageResponse response = pending.kind() != FaultKind.NOT_PRESENT || ++attempts > pageRequestAttempts
                            ? null : pageRequest(pasid, pending.va(), pending.access());
                    if (response != PageResponse.SUCCESS) {
                        Fault recorded = response == PageResponse.FAILURE ? failedRequest(pending) : pending;
                        record(recorded);
                        return new DmaResult(done, recorded);
                    }
                }
            }
            return new DmaResult(done, null);
        } finally {
            hits.add(counts[0]);
            misses.add(counts[1]);
        }
    }

    private static int bytesToPageEnd(long word, long va, long remaining) {
        PageSize size = Iotlb.sizeOf(word);
        long toEnd = size.bytes() - (va & size.offsetMask());
        return (int) Math.min(Math.min(toEnd, remaining), Integer.MAX_VALUE);
    }

    @Override
    public DmaResult read(int pasid, long va, byte[] dst) {
        return transferBuffer(pasid, va, dst, Access.READ);
    }

    @Override
    public DmaResult write(int pasid, long va, byte[] src) {
        return transferBuffer(pasid, va, src, Access.WRITE);
    }

    /** A read into, or a write from, {@code buffer}: page by page, one bulk copy each. */
    private DmaResult transferBuffer(int pasid, long va, byte[] buffer, Access access) {
        long need = needed(access);
        boolean write = access == Access.WRITE;
        return transfer(pasid, buffer.length, (done, fault, counts) -> {
            long at = va + done;
            long word = translateForDma(pasid, at, access, need, fault, counts);
            if (word < 0) {
                return -1;
            }
            int n = bytesToPageEnd(word, at, buffer.length - done);
            if (write) {
                memory.write(Iotlb.physicalAddress(word, at), buffer, (int) done, n);
            } else {
                memory.read(Iotlb.physicalAddress(word, at), buffer, (int) done, n);
            }
            return n;
        });
    }

    @Override
    public DmaResult copy(int pasid, long srcVa, long dstVa, long length) {
        if (length < 0) {
            throw new IllegalArgumentException("DMA copy length must be >= 0, not " + length);
        }
        long needRead = needed(Access.READ);
        long needWrite = needed(Access.WRITE);
        return transfer(pasid, length, (done, fault, counts) -> {
            long from = srcVa + done;
            long to = dstVa + done;
            long s = translateForDma(pasid, from, Access.READ, needRead, fault, counts);
            if (s < 0) {
                return -1;
            }
            long d = translateForDma(pasid, to, Access.WRITE, needWrite, fault, counts);
            if (d < 0) {
                return -1;
            }
            long srcPa = Iotlb.physicalAddress(s, from);
            long dstPa = Iotlb.physicalAddress(d, to);
            int n = Math.min(bytesToPageEnd(s, from, length - done), bytesToPageEnd(d, to, length - done));
            // while the IOTLB maps the next 4 KiB pages of both sides to the next frames, one copy covers them
            long left = length - done;
            if (n < RUN_BYTES && n < left && ((from + n) & 0xFFF) == 0 && ((to + n) & 0xFFF) == 0) {
                int max = (int) Math.min((RUN_BYTES - n) >>> 12, (left - n) >>> 12);
                int pages = iotlb.contiguousPages(pasid, from + n, srcPa + n, needRead, max);
                if (pages > 0) {
                    pages = iotlb.contiguousPages(pasid, to + n, dstPa + n, needWrite, pages);
                }
                counts[0] += 2L * pages;
                n += pages << 12;
            }
            memory.copy(srcPa, dstPa, n);
            return n;
        });
    }
}
