package iommu.hw.vtd.internal;

import java.util.SortedMap;

import iommu.hw.Access;
import iommu.hw.Invalidation;
import iommu.hw.PageResponse;
import iommu.hw.RequesterId;
import iommu.hw.SystemMemory;
import iommu.hw.arch.ArchitectureUnit;
import iommu.hw.arch.UnitHardware;
import iommu.hw.vtd.Descriptor;
import iommu.hw.vtd.VtdRegisters;

/**
 * VT-d's part of a unit: the root, context and PASID tables it reads through its context and PASID
 * caches ({@link TranslationTables}), the invalidation queue ({@link InvalidationQueue}) and what each
 * descriptor does to the unit, the page request queue, and the registers software programs
 * ({@link UnitRegisters}).
 */
public final class VtdUnit implements ArchitectureUnit {
    private final UnitHardware hardware;
    private final SystemMemory memory;
    private final TranslationTables tables;
    private final PageRequestQueue prq;
    private final UnitRegisters registers;
    /** A wait's 4-byte status write, little-endian; used under the invalidation queue's monitor, which applies descriptors. */
    private final byte[] status = new byte[4];

    VtdUnit(UnitHardware hardware) {
        this.hardware = hardware;
        this.memory = hardware.memory();
        this.tables = new TranslationTables(memory);
        this.prq = new PageRequestQueue(memory);
        this.registers = new UnitRegisters(tables, new InvalidationQueue(memory, new QueueDescriptors()), prq);
    }

    @Override
    public long root(int requesterId, int pasid) {
        return tables.root(requesterId, pasid); // the hit path of the context cache allocates nothing
    }

    @Override
    public long read(int requesterId, int pasid) {
        return tables.read(RequesterId.of(requesterId), pasid);
    }

    @Override
    public boolean pageRequestsEnabled(int requesterId) {
        return tables.pageRequestsEnabled(requesterId);
    }

    @Override
    public PageResponse pageRequest(int requesterId, int pasid, long va, int pages, Access access) {
        return prq.request(RequesterId.of(requesterId), pasid, va, pages, access);
    }

    @Override
    public void deviceAdded(int requesterId) {
        registers.enter(RequesterId.of(requesterId));
    }

    @Override
    public SortedMap<Integer, Long> boundPasids(int requesterId) {
        return tables.entries(RequesterId.of(requesterId));
    }

    @Override
    public VtdRegisters registers() {
        return registers;
    }

    /** The context entry of {@code requester} as memory holds it now, or null when none is usable (for tests). */
    public iommu.hw.vtd.ContextEntry contextEntry(RequesterId requester) {
        return tables.contextEntry(requester);
    }

    /** The eight words of {@code pasid}'s entry for {@code requester} as memory holds them, or null (for tests). */
    public long[] pasidEntry(RequesterId requester, int pasid) {
        return tables.rawEntry(requester, pasid);
    }

    @Override
    public String describeDevices() {
        return VtdDescriptions.devices(hardware.unit(), registers, tables);
    }

    @Override
    public String describePasid(int requesterId, int pasid) {
        return VtdDescriptions.pasidEntry(hardware.unit(), pasid, tables.rawEntry(RequesterId.of(requesterId), pasid));
    }

    @Override
    public String describeQueues() {
        return VtdDescriptions.queues(hardware.unit(), registers);
    }

    /**
     * What each descriptor of the invalidation queue does to the unit, in queue order (see
     * {@link InvalidationQueue}), called by the queue under its monitor: not part of the unit's API.
     */
    private final class QueueDescriptors implements Descriptor.Handler {
        /** A PASID-based IOTLB invalidation of the invalidation queue, in queue order (see {@link InvalidationQueue}). */
        @Override
        public void pasidIotlb(Descriptor.PasidIotlbInvalidation i) {
            if (i.granularity() == Descriptor.PasidIotlbInvalidation.PASID) {
                hardware.invalidateIotlb(i.pasid() == 0 ? new Invalidation.All() : new Invalidation.OfPasid(i.pasid()));
            } else if (i.granularity() == Descriptor.PasidIotlbInvalidation.PAGES && i.pasid() != 0) {
                hardware.invalidateIotlb(new Invalidation.OfRange(i.pasid(), i.address(), i.length()));
            } else {
                throw new IllegalArgumentException("PASID-based IOTLB invalidation: granularity " + i.granularity()
                        + " with PASID " + i.pasid() + " is reserved");
            }
        }

        /** An invalidation wait of the queue: requests in flight drained, then the status written if asked for. */
        @Override
        public void invalidationWait(Descriptor.InvalidationWait w) {
            hardware.drain(); // every request that could use what the descriptors before removed has completed
            if (w.statusWrite()) {
                if (w.statusAddress() + 4 > memory.size()) {
                    throw new IllegalArgumentException(String.format("invalidation wait: status address 0x%x is outside memory",
                            w.statusAddress()));
                }
                int v = w.statusData();
                status[0] = (byte) v;
                status[1] = (byte) (v >>> 8);
                status[2] = (byte) (v >>> 16);
                status[3] = (byte) (v >>> 24);
                memory.write(w.statusAddress(), status, 0, 4);
            }
        }

        /** A PASID-based device-TLB invalidation of the queue: passed to the device; one that does not answer stops the queue. */
        @Override
        public void pasidDeviceTlb(Descriptor.PasidDeviceTlbInvalidation i) {
            int late = hardware.invalidateDeviceTlb(i.sourceId(), i.pasid(), i.base(), i.length());
            if (late >= 0) {
                throw new InvalidationQueue.DeviceTimeout(RequesterId.of(late));
            }
        }

        /** Any other descriptor of the invalidation queue, in queue order (see {@link InvalidationQueue}). */
        @Override
        public void descriptor(Descriptor d) { // the three types above come to their own methods
            if (d instanceof Descriptor.PasidCacheInvalidation p) {
                if (p.granularity() == Descriptor.PasidCacheInvalidation.PASID) {
                    tables.pasidCache().invalidate(p.pasid());
                } else {
                    tables.pasidCache().invalidateAll();
                }
            } else if (d instanceof Descriptor.ContextCacheInvalidation) {
                tables.invalidateContexts();
            } else if (d instanceof Descriptor.IotlbInvalidation i) {
                if (i.granularity() == 0) {
                    throw new IllegalArgumentException("IOTLB invalidation: granularity 0 is reserved");
                }
                // the model's one domain holds every PASID's first-level mappings: any granularity drops them all,
                // a superset of what a domain- or page-selective invalidation names, which is always safe
                hardware.invalidateIotlb(new Invalidation.All());
            } else if (d instanceof Descriptor.DeviceTlbInvalidation || d instanceof Descriptor.InterruptEntryCacheInvalidation) {
                // nothing cached: the model's devices tag every translation with a PASID (this descriptor is for
                // requests without one), and the unit remaps no interrupts
            } else if (d instanceof Descriptor.PageGroupResponse r) {
                prq.respond(r);
            }
        }
    }
}
