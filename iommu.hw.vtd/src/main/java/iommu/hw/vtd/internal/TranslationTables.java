package iommu.hw.vtd.internal;

import java.util.SortedMap;
import java.util.TreeMap;

import iommu.hw.FaultKind;
import iommu.hw.Pte;
import iommu.hw.RequesterId;
import iommu.hw.SystemMemory;
import iommu.hw.arch.PasidCache;
import iommu.hw.vtd.ContextEntry;
import iommu.hw.vtd.PasidDirectoryEntry;
import iommu.hw.vtd.PasidEntry;
import iommu.hw.vtd.RootEntry;

/**
 * What the unit reads of the tables software wrote in memory to find a request's page table: the root
 * table (RTADDR), the requester's scalable-mode context entry (through the context cache, by requester
 * id), its PASID directory and the PASID's entry (through the {@link PasidCache}), whose first-level
 * pointer is the PML4 the walk starts at. Caches change only by invalidation descriptors or a new root
 * table. The PASID cache is tagged by PASID alone: every PASID entry software writes here has the one
 * domain id {@link iommu.hw.vtd.VtdDriver#DOMAIN}, which is what VT-d tags it with besides the PASID.
 */
final class TranslationTables {
    /** A context cache entry: a requester's context entry as read, decoded. */
    private record Context(int requester, long directory, int entries, ContextEntry entry) {
    }

    private final SystemMemory memory;
    private final PasidCache pasids = new PasidCache();
    private final Object lock = new Object();
    private volatile long rootTable = -1;
    /** The context cache, by requester id; and the entry found last (a unit mostly serves one device at a time). */
    private final java.util.Map<Integer, Context> contexts = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile Context last;
    private long contextGeneration;

    TranslationTables(SystemMemory memory) {
        this.memory = memory;
    }

    /** SRTP: the root table software programmed (-1: none, every request faults). Caches are emptied. */
    void setRootTable(long address) {
        if (address != -1 && ((address & 0xFFF) != 0 || address < 0 || address + 4096 > memory.size())) {
            throw new IllegalArgumentException(String.format("root table 0x%x is not a 4 KiB-aligned frame inside memory", address));
        }
        synchronized (lock) {
            rootTable = address;
            dropContextsLocked();
        }
        pasids.invalidateAll();
    }

    long rootTable() {
        return rootTable;
    }

    PasidCache pasidCache() {
        return pasids;
    }

    void invalidateContexts() {
        synchronized (lock) {
            dropContextsLocked();
        }
    }

    /** Empties the context cache; a context read before this is not cached after it. Under {@link #lock}. */
    private void dropContextsLocked() {
        contextGeneration++;
        contexts.clear();
        last = null;
    }

    /**
     * The first-level table of {@code pasid} for a request of {@code requester} (its context, then the
     * PASID entry, each cached or read), or a fault ({@link iommu.hw.arch.ArchitectureUnit#fault}).
     */
    long root(int requester, int pasid) {
        Context c = context(requester);
        if (c == null) {
            return fault(FaultKind.NO_CONTEXT);
        }
        long cached = pasids.root(pasid);
        if (cached != PasidCache.MISS) {
            return cached;
        }
        long generation = pasids.generation();
        long root = read(c, pasid);
        if (root >= 0) {
            pasids.fill(pasid, root, generation);
        }
        return root;
    }

    /** As {@link #root}, from memory alone: nothing is cached (what an explanation of a walk reads). */
    long read(RequesterId requester, int pasid) {
        Context c = readContext(requester, rootTable);
        return c == null ? fault(FaultKind.NO_CONTEXT) : read(c, pasid);
    }

    private long read(Context c, int pasid) {
        if ((pasid >>> 6) >= c.entries()) {
            return fault(FaultKind.PASID_NOT_BOUND);
        }
        PasidDirectoryEntry dir = PasidDirectoryEntry.decode(memory.readLong(PasidDirectoryEntry.address(c.directory(), pasid)));
        if (!dir.present()) {
            return fault(FaultKind.PASID_NOT_BOUND);
        }
        if (dir.table() + 4096 > memory.size()) {
            return fault(FaultKind.PASID_ENTRY_INVALID);
        }
        long at = PasidEntry.address(dir.table(), pasid);
        long q0 = memory.readLong(at);
        if ((q0 & 1) == 0) {
            return fault(FaultKind.PASID_NOT_BOUND);
        }
        PasidEntry e = PasidEntry.decode(new long[] {q0, memory.readLong(at + 8), memory.readLong(at + 16), 0, 0, 0, 0, 0});
        long root = e.firstLevelTable() & Pte.ADDRESS_MASK;
        if (e.translationType() != PasidEntry.FIRST_LEVEL || e.pagingMode() != PasidEntry.FOUR_LEVEL || !e.noExecute()
                || root != e.firstLevelTable() || root + 4096 > memory.size()) {
            return fault(FaultKind.PASID_ENTRY_INVALID);
        }
        return root;
    }

    private static long fault(FaultKind kind) {
        return iommu.hw.arch.ArchitectureUnit.fault(kind);
    }

    /** The requester's context (cached, or read and cached), or null when it has none usable. */
    private Context context(int requester) {
        Context c = last;
        if (c != null && c.requester() == requester) {
            return c;
        }
        c = contexts.get(requester);
        if (c != null) {
            last = c;
            return c;
        }
        long generation;
        long root;
        synchronized (lock) {
            generation = contextGeneration;
            root = rootTable;
        }
        c = readContext(RequesterId.of(requester), root);
        if (c != null) {
            synchronized (lock) {
                if (contextGeneration == generation) {
                    contexts.put(requester, c);
                    last = c;
                }
            }
        }
        return c;
    }

    private Context readContext(RequesterId requester, long root) {
        if (root < 0) {
            return null;
        }
        long at = RootEntry.address(root, requester.bus());
        RootEntry r = RootEntry.decode(memory.readLong(at), memory.readLong(at + 8));
        boolean upper = requester.devfn() >= ContextEntry.PER_TABLE;
        long table = upper ? r.upperTable() : r.lowerTable();
        if (!(upper ? r.upperPresent() : r.lowerPresent()) || table + 4096 > memory.size()) {
            return null;
        }
        long entryAt = ContextEntry.address(table, requester.devfn());
        long[] words = QueueMemory.words(memory, entryAt, 4);
        ContextEntry e = ContextEntry.decode(words);
        if (!e.present() || !e.pasidEnable() || ContextEntry.reservedBitsSet(words)
                || e.directory() + 8L * e.directoryEntries() > memory.size()) {
            return null;
        }
        return new Context(requester.value(), e.directory(), e.directoryEntries(), e);
    }

    /**
     * Whether the requester may send page requests: PRE (Page Request Enable) of its scalable-mode
     * context entry, as cached. Without it a page not present is a fault, never a page request.
     */
    boolean pageRequestsEnabled(int requester) {
        Context c = context(requester);
        return c != null && c.entry().pageRequests();
    }

    /** The requester's context entry as the unit would use it now, or null (for the shell). */
    ContextEntry contextEntry(RequesterId requester) {
        Context c = readContext(requester, rootTable);
        return c == null ? null : c.entry();
    }

    /** Every present PASID entry reachable from the requester's context, PASID -> first-level table (read from memory). */
    SortedMap<Integer, Long> entries(RequesterId requester) {
        SortedMap<Integer, Long> bound = new TreeMap<>();
        Context c = readContext(requester, rootTable);
        if (c == null) {
            return bound;
        }
        for (int d = 0; d < c.entries(); d++) {
            PasidDirectoryEntry dir = PasidDirectoryEntry.decode(memory.readLong(c.directory() + 8L * d));
            if (!dir.present() || dir.table() + 4096 > memory.size()) {
                continue;
            }
            for (int i = 0; i < PasidEntry.PER_TABLE; i++) {
                int pasid = d << 6 | i;
                long root = pasid == 0 ? -1 : read(c, pasid);
                if (root >= 0) {
                    bound.put(pasid, root);
                }
            }
        }
        return bound;
    }

    /** The 64 bytes of {@code pasid}'s entry as memory holds them, or null when the context or directory has none. */
    long[] rawEntry(RequesterId requester, int pasid) {
        Context c = readContext(requester, rootTable);
        if (c == null || (pasid >>> 6) >= c.entries()) {
            return null;
        }
        PasidDirectoryEntry dir = PasidDirectoryEntry.decode(memory.readLong(PasidDirectoryEntry.address(c.directory(), pasid)));
        if (!dir.present() || dir.table() + 4096 > memory.size()) {
            return null;
        }
        return QueueMemory.words(memory, PasidEntry.address(dir.table(), pasid), 8);
    }
}
