package iommu.hw.internal;

import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.concurrent.ConcurrentHashMap;
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
import iommu.hw.AtsDevice;
import iommu.hw.AtsPort;
import iommu.hw.DmaInitiator;
import iommu.hw.DmaResult;
import iommu.hw.FaultRecord;
import iommu.hw.Invalidation;
import iommu.hw.Iommu;
import iommu.hw.IommuEvents;
import iommu.hw.IommuStats;
import iommu.hw.PageResponse;
import iommu.hw.PageWalk;
import iommu.hw.RequesterId;
import iommu.hw.SystemMemory;
import iommu.hw.Translation.Fault;
import iommu.hw.Translation;
import iommu.hw.TranslationPort;
import iommu.hw.arch.Architecture;
import iommu.hw.arch.ArchitectureUnit;
import iommu.hw.arch.UnitHardware;

/**
 * The IOMMU unit, whatever its architecture: the IOTLB, the fault log, page requests and statistics;
 * translation itself is the {@link Translator}'s, per requester through a {@link UnitPort}, and the
 * bus-master DMA port is {@link Dma}. Its architecture's part ({@link ArchitectureUnit}: the tables in
 * memory that lead to a request's page table, the registers, the queues) comes from the
 * {@link Architecture} service the configuration's {@code arch} names (see {@link ArchitectureTarget}).
 *
 * <p>Stale translations are excluded by two mechanisms. A walk that started before an invalidation
 * does not fill the IOTLB or the architecture's caches (the generation checks of their fills), and a
 * fill that landed before is removed by it. DMA runs inside the {@link InflightGate}, and every
 * completion wait drains the gate ({@link UnitHardware#drain}) before it signals, so once software saw
 * the signal no transfer still uses a translation the commands before it removed.
 */
@Component(service = {Iommu.class, DmaInitiator.class}, configurationPid = IommuConfig.PID, immediate = true,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = IommuConfig.class, factory = true)
public final class IommuUnit implements Iommu, DmaInitiator {
    /**
     * The requester id of the unit's own bus-master test device (00:1f.0): the requests of
     * {@link #read}, {@link #write}, {@link #copy}, {@link #translate} and {@link #openPort} carry it. A
     * device made with {@link #device} carries its own.
     */
    public static final RequesterId TEST_DEVICE = new RequesterId(0, 0x1f, 0);

    private final int unit;
    /** iotlbEntries, faultLogSize, pageRequestAttempts and deviceTlbTimeoutMillis as the unit started with them. */
    private final int[] geometry;
    private final String architecture;
    private final SystemMemory memory;
    private final Iotlb iotlb;
    private final ArchitectureUnit arch;
    private final AtsDevices ats;
    private final FaultLog faultLog;
    private final InflightGate gate = new InflightGate();
    private final Translator translator;
    private final Dma dma;
    /** The unit's own bus-master test device: the DMA of {@link #read}, {@link #write} and {@link #copy}. */
    private final DeviceDma testDevice = new DeviceDma(TEST_DEVICE);

    /** Hits and misses of {@link #translate}; ports count their own (open ones in {@link #openPorts}). */
    private final PerThreadCounter hits = new PerThreadCounter();
    private final LongAdder misses = new LongAdder();
    private final Set<UnitPort> openPorts = ConcurrentHashMap.newKeySet();
    private final LongAdder retiredPortHits = new LongAdder();
    private final LongAdder retiredPortMisses = new LongAdder();
    private final LongAdder pageRequests = new LongAdder();
    private final LongAdder pageRequestsFailed = new LongAdder();

    /** Faults, page requests and invalidations go to it as events ({@link IommuEvents}) when there is one. */
    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC)
    private volatile EventAdmin events;

    /**
     * Builds the IOMMU from configuration. An attribute outside its metatype range is reported and
     * replaced by its default, so that a bad configuration never leaves the machine without an IOMMU.
     */
    @Activate
    public IommuUnit(@Reference SystemMemory memory,
                     @Reference(name = "architecture", target = "(" + Architecture.ARCH + "=" + IommuConfig.DEFAULT_ARCH + ")")
                     java.util.Map.Entry<java.util.Map<String, Object>, Architecture> architecture, IommuConfig config) {
        this(memory, architecture.getValue(), String.valueOf(architecture.getKey().get(Architecture.ARCH)),
                configured("iommu.unit", config.iommu_unit(), 0, 15, false, 0),
                configured("iotlbEntries", config.iotlbEntries(), 1, 1 << 20, true, 65536),
                configured("faultLogSize", config.faultLogSize(), 1, 65536, false, 256),
                configured("pageRequestAttempts", config.pageRequestAttempts(), 1, 64, false, 4),
                configured("deviceTlbTimeoutMillis", config.deviceTlbTimeoutMillis(), 1, 60_000, false, 1000));
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

    /**
     * The IOMMU's geometry is fixed while the machine runs: a change of it applies at the next start
     * (said once, naming what changed). A new {@code arch} never gets here: it changes the architecture
     * reference's target, so the unit restarts on the other architecture at once.
     */
    @Modified
    void modified(IommuConfig config) {
        int[] now = {config.iommu_unit(), config.iotlbEntries(), config.faultLogSize(), config.pageRequestAttempts(),
                config.deviceTlbTimeoutMillis()};
        int[] started = {unit, geometry[0], geometry[1], geometry[2], geometry[3]};
        String[] names = {"iommu.unit", "iotlbEntries", "faultLogSize", "pageRequestAttempts", "deviceTlbTimeoutMillis"};
        java.util.List<String> changed = new java.util.ArrayList<>();
        for (int i = 0; i < names.length; i++) {
            if (now[i] != started[i]) {
                changed.add(names[i]);
            }
        }
        if (!changed.isEmpty()) {
            System.getLogger(IommuUnit.class.getName()).log(System.Logger.Level.WARNING, "configuration " + IommuConfig.PID
                    + " of unit " + unit + ": " + String.join(", ", changed) + " take effect at the next start of the iommu.hw bundle");
        }
    }

    /**
     * Unit {@code unit} of {@code architecture} (named {@code name}); a device that does not answer a
     * device-TLB invalidation within {@code deviceTlbTimeoutMillis} times out.
     */
    IommuUnit(SystemMemory memory, Architecture architecture, String name, int unit, int iotlbEntries, int faultLogSize,
              int pageRequestAttempts, int deviceTlbTimeoutMillis) {
        if (pageRequestAttempts < 1) {
            throw new IllegalArgumentException("page request attempts must be >= 1, not " + pageRequestAttempts);
        }
        this.unit = unit;
        this.geometry = new int[] {iotlbEntries, faultLogSize, pageRequestAttempts, deviceTlbTimeoutMillis};
        this.architecture = name;
        this.memory = memory;
        this.iotlb = new Iotlb(iotlbEntries);
        this.faultLog = new FaultLog(faultLogSize);
        this.ats = new AtsDevices(unit, memory, gate, this::translate, deviceTlbTimeoutMillis * 1_000_000L);
        this.arch = architecture.create(new Hardware());
        this.arch.deviceAdded(TEST_DEVICE.value());
        this.translator = new Translator(memory, iotlb, arch, pageRequestAttempts, new Translator.Outcomes() {
            @Override
            public PageResponse pageRequest(RequesterId requester, int pasid, long va, Access access, int pages) {
                return IommuUnit.this.pageRequest(requester, pasid, va, access, pages);
            }

            @Override
            public void record(RequesterId requester, Fault fault) {
                IommuUnit.this.record(requester, fault);
            }
        });
        this.dma = new Dma(unit, memory, translator, gate, this::retire);
    }

    @Override
    public int unit() {
        return unit;
    }

    @Override
    public int requesterId() {
        return TEST_DEVICE.value();
    }

    @Override
    public DmaInitiator device(int requesterId) {
        RequesterId rid = requester(requesterId);
        arch.deviceAdded(rid.value());
        return new DeviceDma(rid);
    }

    /** @throws IllegalArgumentException for an id that is not 16 bits */
    private static RequesterId requester(int requesterId) {
        if (requesterId < 0 || requesterId > 0xFFFF) {
            throw new IllegalArgumentException("requester id " + requesterId + " is not a 16-bit PCI bus/device/function");
        }
        return RequesterId.of(requesterId);
    }

    /** The unit's DMA port for one device behind it: its requests carry its requester id. */
    private final class DeviceDma implements DmaInitiator {
        private final RequesterId rid;

        DeviceDma(RequesterId rid) {
            this.rid = rid;
        }

        @Override
        public int unit() {
            return unit;
        }

        @Override
        public int requesterId() {
            return rid.value();
        }

        @Override
        public DmaInitiator device(int requesterId) {
            return IommuUnit.this.device(requesterId);
        }

        @Override
        public DmaResult read(int pasid, long va, byte[] dst) {
            return dma.transferBuffer(rid, pasid, va, dst, Access.READ);
        }

        @Override
        public DmaResult write(int pasid, long va, byte[] src) {
            return dma.transferBuffer(rid, pasid, va, src, Access.WRITE);
        }

        @Override
        public DmaResult copy(int pasid, long srcVa, long dstVa, long length) {
            return dma.copy(rid, pasid, srcVa, dstVa, length);
        }

        @Override
        public AtsPort attach(AtsDevice device) {
            return ats.attach(device, rid);
        }
    }

    // ---- the architecture's part ----

    /** What the architecture's commands do to this unit's caches, requests in flight and devices. */
    private final class Hardware implements UnitHardware {
        @Override
        public int unit() {
            return unit;
        }

        @Override
        public SystemMemory memory() {
            return memory;
        }

        @Override
        public void invalidateIotlb(Invalidation scope) {
            IommuUnit.this.invalidateIotlb(scope);
        }

        @Override
        public void drain() {
            gate.drain();
        }

        @Override
        public int invalidateDeviceTlb(int requesterId, int pasid, long va, long length) {
            return ats.invalidate(requesterId, pasid, va, length);
        }
    }

    /** The architecture's part of this unit (for tests of the architecture). */
    ArchitectureUnit architectureUnit() {
        return arch;
    }

    @Override
    public String architecture() {
        return architecture;
    }

    @Override
    public <T> T registers(Class<T> type) {
        Object registers = arch.registers();
        return type.isInstance(registers) ? type.cast(registers) : null;
    }

    @Override
    public SortedMap<Integer, Long> boundPasids() {
        return Collections.unmodifiableSortedMap(arch.boundPasids(TEST_DEVICE.value()));
    }

    @Override
    public String describeDevices() {
        return arch.describeDevices();
    }

    @Override
    public String describePasid(int pasid) {
        Translator.checkPasid(pasid);
        return arch.describePasid(TEST_DEVICE.value(), pasid);
    }

    @Override
    public String describeQueues() {
        return arch.describeQueues();
    }

    @Override
    public AtsPort attach(AtsDevice device) {
        return testDevice.attach(device);
    }



    // ---- translation ----

    /** The value form of the one path (see {@link Translator}), counted in the unit's own counters. */
    @Override
    public Translation translate(int pasid, long va, Access access) {
        return translate(TEST_DEVICE, pasid, va, access, 1);
    }

    /**
     * As {@link #translate(int, long, Access)} for {@code requester}'s request, a not-present page's page
     * request a group of {@code pages} pages (an ATS translation request).
     */
    private Translation translate(RequesterId requester, int pasid, long va, Access access, int pages) {
        Translator.checkPasid(pasid);
        long word = translator.hit(pasid, va, Translator.needed(access));
        if (word != Translator.MISS) {
            hits.increment();
            return PackedWalk.unpack(word, pasid, va, access);
        }
        misses.increment();
        Fault[] fault = new Fault[1];
        long packed = translator.resolve(requester, pasid, va, access, pages, new long[1], fault);
        return packed < 0 ? fault[0] : PackedWalk.unpack(packed, pasid, va, access);
    }

    @Override
    public PageWalk walk(int pasid, long va) {
        Translator.checkPasid(pasid);
        long root = arch.read(TEST_DEVICE.value(), pasid);
        java.util.List<PageWalk.Level> levels = new java.util.ArrayList<>();
        Translation outcome = PackedWalk.unpack(root < 0 ? root : PackedWalk.explain(memory, root, va, levels), pasid, va,
                Access.READ);
        long word = iotlb.lookupData(pasid, va);
        return new PageWalk(unit, pasid, va, Math.max(root, -1), levels, outcome,
                word == Iotlb.MISS ? -1 : PackedWalk.physicalAddress(word, va));
    }

    @Override
    public TranslationPort openPort() {
        UnitPort port = new UnitPort(unit, TEST_DEVICE, translator, this::retire);
        openPorts.add(port);
        return port;
    }

    /** A port's counts go to the unit's totals; statistics may count them twice for a moment, never lose them. */
    private void retire(UnitPort port) {
        retiredPortHits.add(port.hits());
        retiredPortMisses.add(port.misses());
        openPorts.remove(port);
    }

    /** A fault goes to the unit's fault log, to its architecture's own (AMD-Vi's event log) and to Event Admin. */
    private void record(RequesterId requester, Fault f) {
        faultLog.record(f);
        arch.faulted(requester.value(), f);
        post(IommuEvents.FAULT, () -> java.util.Map.of(IommuEvents.PASID, f.pasid(), IommuEvents.VA, f.va(),
                IommuEvents.ACCESS, f.access().name(), IommuEvents.REASON, f.kind().name()));
    }

    /**
     * Posts an event when there is an Event Admin; {@code properties} is only called then, so that an
     * invalidation or a page request without one builds nothing (it is on every unmap's path).
     */
    private void post(String topic, java.util.function.Supplier<java.util.Map<String, Object>> lazy) {
        EventAdmin admin = events;
        if (admin != null) {
            java.util.Map<String, Object> properties = new java.util.HashMap<>(lazy.get());
            properties.put(IommuEvents.NANOS, System.nanoTime());
            try {
                admin.postEvent(new Event(topic, properties));
            } catch (RuntimeException stopping) {
                // an Event Admin that is going away: the model goes on without it
            }
        }
    }

    /** How often a page request the full queue turned away is sent again before the request fails. */
    private static final int PAGE_REQUEST_RETRIES = 1000;

    /**
     * A not-present page: a page request group of {@code pages} pages from {@code va}'s through the queue
     * in memory, and the group's response; a group refused is asked again for {@code va}'s page alone.
     */
    private PageResponse pageRequest(RequesterId requester, int pasid, long va, Access access, int pages) {
        PageResponse response = group(requester, pasid, va, access, pages);
        if (response != PageResponse.SUCCESS && pages > 1) {
            response = group(requester, pasid, va, access, 1); // which page failed: the fault names it
        }
        if (response != PageResponse.SUCCESS) {
            pageRequestsFailed.increment();
        }
        PageResponse answer = response;
        post(IommuEvents.PAGE_REQUEST, () -> java.util.Map.of(IommuEvents.PASID, pasid, IommuEvents.VA, va,
                IommuEvents.ACCESS, access.name(), IommuEvents.RESPONSE, answer.name()));
        return response;
    }

    /** One page request group, sent again while the queue turns it away (the device retries). */
    private PageResponse group(RequesterId requester, int pasid, long va, Access access, int pages) {
        pageRequests.add(pages);
        for (int attempt = 0; attempt < PAGE_REQUEST_RETRIES; attempt++) {
            PageResponse response = arch.pageRequest(requester.value(), pasid, va, pages, access);
            if (response != null) {
                return response;
            }
            Thread.yield(); // the queue was full: the device retries
        }
        return PageResponse.FAILURE;
    }

    /** An IOTLB invalidation command: the entries go; the completion wait after it drains requests in flight. */
    private void invalidateIotlb(Invalidation scope) {
        iotlb.invalidate(scope);
        if (events == null) {
            return; // no Event Admin: not even the event's lazy properties are made
        }
        if (scope instanceof Invalidation.OfRange r) {
            post(IommuEvents.INVALIDATION, () -> java.util.Map.of(IommuEvents.SCOPE, "range", IommuEvents.PASID, r.pasid(),
                    IommuEvents.VA, r.va(), IommuEvents.LENGTH, r.length()));
        } else if (scope instanceof Invalidation.OfPasid p) {
            post(IommuEvents.INVALIDATION, () -> java.util.Map.of(IommuEvents.SCOPE, "pasid", IommuEvents.PASID, p.pasid()));
        } else {
            post(IommuEvents.INVALIDATION, () -> java.util.Map.of(IommuEvents.SCOPE, "all"));
        }
    }

    @Override
    public IommuStats stats() {
        long h = hits.sum() + retiredPortHits.sum();
        long m = misses.sum() + retiredPortMisses.sum();
        for (UnitPort port : openPorts) {
            h += port.hits();
            m += port.misses();
        }
        int entries = iotlb.size();
        return new IommuStats(h + m, h, m, faultLog.total(), pageRequests.sum(), pageRequestsFailed.sum(),
                iotlb.invalidations(), entries);
    }

    @Override
    public List<FaultRecord> faults() {
        return faultLog.snapshot();
    }

    // ---- DMA ----

    @Override
    public DmaResult read(int pasid, long va, byte[] dst) {
        return testDevice.read(pasid, va, dst);
    }

    @Override
    public DmaResult write(int pasid, long va, byte[] src) {
        return testDevice.write(pasid, va, src);
    }

    @Override
    public DmaResult copy(int pasid, long srcVa, long dstVa, long length) {
        return testDevice.copy(pasid, srcVa, dstVa, length);
    }
}
