package iommu.hw.amdvi.internal;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import iommu.hw.FaultKind;
import iommu.hw.SystemMemory;
import iommu.hw.arch.ArchitectureUnit;
import iommu.hw.arch.PasidCache;
import iommu.hw.amdvi.DeviceTableEntry;
import iommu.hw.amdvi.Gcr3Table;

/**
 * What the unit reads of the tables software wrote in memory to find a request's page table: the
 * device's entry in the device table (through the DTE cache, by DeviceID), then its GCR3 table, level by
 * level (GLX + 1 levels), to the PASID's guest CR3, the PML4 the walk starts at (through a
 * {@link PasidCache} per GCR3 table). Caches change only by commands (INVALIDATE_DEVTAB_ENTRY,
 * INVALIDATE_IOMMU_PAGES with GN and PDE, INVALIDATE_IOMMU_ALL) or a new device table base.
 */
final class DeviceTable {
    /** A DTE cache entry: the device's entry as read, and the cache of its GCR3 table's entries. */
    private record Cached(int deviceId, DeviceTableEntry entry, PasidCache gcr3) {
    }

    private final SystemMemory memory;
    private final int maxGlx;
    private final int maxPasid;
    private final Object lock = new Object();
    private volatile long base = -1;
    private volatile int entries;
    private final Map<Integer, Cached> cached = new ConcurrentHashMap<>();
    /** The entry found last (a unit mostly serves one device at a time): a hit allocates nothing. */
    private volatile Cached last;
    private final Map<Long, PasidCache> gcr3 = new ConcurrentHashMap<>();
    /** Bumped under {@link #lock} by every DTE invalidation: a read that started before is not cached. */
    private long generation;

    /** {@code maxGlx} and {@code maxPasid}: what the unit supports (EFR's GLXSup and PASmax). */
    DeviceTable(SystemMemory memory, int maxGlx, int maxPasid) {
        this.memory = memory;
        this.maxGlx = maxGlx;
        this.maxPasid = maxPasid;
    }

    /** The device table base register: (size + 1) frames at {@code address}. The caches are emptied. */
    void setBase(long address, int size) {
        if (size < 0 || size > 0x1FF) {
            throw new IllegalArgumentException("device table size " + size + " does not fit bits 8:0");
        }
        long bytes = (size + 1L) << 12;
        if ((address & 0xFFF) != 0 || address < 0 || address + bytes > memory.size()) {
            throw new IllegalArgumentException(String.format("device table 0x%x (%d KiB) is not 4 KiB-aligned inside memory",
                    address, bytes >> 10));
        }
        synchronized (lock) {
            base = address;
            entries = (int) (bytes / DeviceTableEntry.BYTES);
            dropAllLocked();
        }
    }

    long base() {
        return base;
    }

    int entries() {
        return entries;
    }

    /** INVALIDATE_DEVTAB_ENTRY. */
    void invalidateEntry(int deviceId) {
        synchronized (lock) {
            generation++;
            cached.remove(deviceId);
            last = null;
        }
    }

    /** INVALIDATE_IOMMU_PAGES with GN and PDE: every cached GCR3 entry of {@code pasid}. */
    void invalidatePasid(int pasid) {
        for (PasidCache c : gcr3.values()) {
            c.invalidate(pasid);
        }
    }

    /** INVALIDATE_IOMMU_ALL, or PDE without GN: every cached GCR3 entry (and, for ALL, every DTE). */
    void invalidateGcr3() {
        for (PasidCache c : gcr3.values()) {
            c.invalidateAll();
        }
    }

    void invalidateAll() {
        synchronized (lock) {
            dropAllLocked();
        }
    }

    private void dropAllLocked() {
        generation++;
        cached.clear();
        last = null;
        invalidateGcr3();
    }

    /** {@code deviceId}'s entry as the unit uses it (cached, or read and cached), or null when none is usable. */
    private Cached entry(int deviceId) {
        Cached c = last;
        if (c != null && c.deviceId() == deviceId) {
            return c;
        }
        c = cached.get(deviceId);
        if (c != null) {
            last = c;
            return c;
        }
        long start;
        synchronized (lock) {
            start = generation;
        }
        DeviceTableEntry e = read(deviceId);
        if (e == null) {
            return null;
        }
        c = new Cached(deviceId, e, gcr3.computeIfAbsent(e.gcr3Table(), t -> new PasidCache()));
        synchronized (lock) {
            if (generation == start) {
                cached.put(deviceId, c);
                last = c;
            }
        }
        return c;
    }

    /**
     * {@code deviceId}'s entry from memory, or null when it is not usable for guest translation: outside
     * the table, not valid (V, TV), without GV, with host translation (Mode), GLX beyond GLXSup, 5-level
     * guest tables, or a GCR3 table outside memory.
     */
    DeviceTableEntry read(int deviceId) {
        DeviceTableEntry e = raw(deviceId);
        if (e == null || !e.valid() || !e.translationValid() || !e.guestTranslation() || e.mode() != 0 || e.glx() > maxGlx
                || e.guestPagingLevel() != DeviceTableEntry.GUEST_4_LEVEL || e.gcr3Table() + 4096 > memory.size()) {
            return null;
        }
        return e;
    }

    /**
     * The PML4 of {@code pasid} for {@code deviceId}'s requests, through the caches, or a fault
     * ({@link ArchitectureUnit#fault}): NO_CONTEXT without a usable entry, PASID_NOT_BOUND for a PASID
     * beyond the table or an invalid GCR3 entry, PASID_ENTRY_INVALID for one pointing outside memory.
     */
    long root(int deviceId, int pasid) {
        Cached c = entry(deviceId);
        if (c == null) {
            return ArchitectureUnit.fault(FaultKind.NO_CONTEXT);
        }
        PasidCache cache = c.gcr3();
        long root = cache.root(pasid);
        if (root != PasidCache.MISS) {
            return root;
        }
        long start = cache.generation();
        root = walk(c.entry(), pasid);
        if (root >= 0) {
            cache.fill(pasid, root, start);
        }
        return root;
    }

    /** As {@link #root}, from memory alone. */
    long read(int deviceId, int pasid) {
        DeviceTableEntry e = read(deviceId);
        return e == null ? ArchitectureUnit.fault(FaultKind.NO_CONTEXT) : walk(e, pasid);
    }

    /** Walks {@code e}'s GCR3 table for {@code pasid}. */
    private long walk(DeviceTableEntry e, int pasid) {
        if (pasid > Math.min(maxPasid, Gcr3Table.maxPasid(e.glx()))) {
            return ArchitectureUnit.fault(FaultKind.PASID_NOT_BOUND);
        }
        long table = e.gcr3Table();
        for (int level = e.glx(); ; level--) {
            long entry = memory.readLong(table + 8L * Gcr3Table.index(pasid, level));
            if (!Gcr3Table.valid(entry)) {
                return ArchitectureUnit.fault(FaultKind.PASID_NOT_BOUND);
            }
            long next = Gcr3Table.address(entry);
            if (next + 4096 > memory.size() || (entry & ~(Gcr3Table.VALID | next)) != 0) {
                return ArchitectureUnit.fault(FaultKind.PASID_ENTRY_INVALID);
            }
            if (level == 0) {
                return next;
            }
            table = next;
        }
    }

    /** Whether {@code deviceId}'s entry allows page requests (PPR), as cached. */
    boolean pageRequests(int deviceId) {
        Cached c = entry(deviceId);
        return c != null && c.entry().pageRequests();
    }

    /** The entry of {@code deviceId} as memory holds it, decoded whatever its bits, or null outside the table (for the shell). */
    DeviceTableEntry raw(int deviceId) {
        long table = base;
        if (table < 0 || deviceId >= entries) {
            return null;
        }
        long at = DeviceTableEntry.address(table, deviceId);
        return DeviceTableEntry.decode(new long[] {memory.readLong(at), memory.readLong(at + 8), memory.readLong(at + 16),
                memory.readLong(at + 24)});
    }

    /** The GCR3 entry of {@code pasid} for {@code deviceId} as memory holds it (the last level), or 0 if none is reachable. */
    long gcr3Entry(int deviceId, int pasid) {
        DeviceTableEntry e = read(deviceId);
        if (e == null || pasid > Gcr3Table.maxPasid(e.glx())) {
            return 0;
        }
        long table = e.gcr3Table();
        for (int level = e.glx(); ; level--) {
            long entry = memory.readLong(table + 8L * Gcr3Table.index(pasid, level));
            if (level == 0 || !Gcr3Table.valid(entry) || Gcr3Table.address(entry) + 4096 > memory.size()) {
                return level == 0 ? entry : 0;
            }
            table = Gcr3Table.address(entry);
        }
    }

    /** Every PASID with a valid GCR3 entry for {@code deviceId}, and its PML4 (read from memory). */
    SortedMap<Integer, Long> bound(int deviceId) {
        SortedMap<Integer, Long> bound = new TreeMap<>();
        DeviceTableEntry e = read(deviceId);
        if (e != null) {
            collect(e.gcr3Table(), e.glx(), 0, bound);
        }
        return bound;
    }

    private void collect(long table, int level, int prefix, SortedMap<Integer, Long> bound) {
        for (int i = 0; i < Gcr3Table.ENTRIES; i++) {
            long entry = memory.readLong(table + 8L * i);
            long next = Gcr3Table.address(entry);
            if (!Gcr3Table.valid(entry) || next + 4096 > memory.size()) {
                continue;
            }
            int pasid = prefix << 9 | i;
            if (level == 0) {
                if (pasid <= maxPasid) {
                    bound.put(pasid, next);
                }
            } else {
                collect(next, level - 1, pasid, bound);
            }
        }
    }
}
