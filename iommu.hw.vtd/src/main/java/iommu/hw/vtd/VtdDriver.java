package iommu.hw.vtd;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import iommu.hw.Access;
import iommu.hw.Iommu;
import iommu.hw.PageRequest;
import iommu.hw.PageRequestHandler;
import iommu.hw.PageResponse;
import iommu.hw.Pasid;
import iommu.hw.RequesterId;
import iommu.hw.SystemMemory;
import iommu.hw.driver.IommuDriver;
import iommu.hw.driver.OpenPageGroups;
import iommu.hw.driver.TableFrames;

/**
 * What an operating system's IOMMU driver does with one VT-d unit in scalable mode (the OS memory
 * manager uses one per unit; tests and benchmarks too): at start it reads the unit's extended
 * capabilities ({@link ExtendedCapability}) and refuses a unit without what it uses, then writes a root
 * table, a context entry for every device in the unit's scope (PASIDs, and ATS if the unit has device
 * TLBs, enabled; page requests as {@link #setPageRequests}
 * says; and for each device that arrives later, as it arrives) and an empty PASID directory,
 * and programs the root table, the invalidation queue and the page request queue; {@link #bind} writes a PASID entry whose
 * first-level pointer is the process's PML4; {@link #unbind} clears it and invalidates the PASID cache
 * and the IOTLB for it; {@link #invalidate} removes a range's translations, from the IOTLB and then
 * from the device TLB of every device in scope (ATS is enabled in their context entries). Every invalidation is a
 * batch of descriptors ending with a wait whose status write the driver checks before it returns: when
 * it returns, no request can use what it removed (invariant 2 of docs/design.md: no stale translation).
 *
 * <p>A device that does not answer a device-TLB invalidation in time stops the queue (ITE): the driver
 * reports it in one line and to its {@linkplain #setDeviceTimeoutHandler device time-out handler} (the
 * device must be reset: until then the unit refuses its translated requests) and clears the time-out;
 * the time-out aborted the batch's wait, so the driver submits the batch again, as Linux's intel-iommu
 * driver does.
 *
 * <p>The PASID directory is one frame (PDTS 2: 512 entries of 64 PASIDs), so PASIDs are
 * 1..{@link #MAX_PASID}; PASID tables are made on first bind and freed when their last entry goes.
 * Thread safe: calls are serialized, as a driver serializes its queue.
 */
public final class VtdDriver implements IommuDriver {
    /**
     * Where the driver's tables come from: 4 KiB frames of system memory, zeroed, by physical address,
     * one at a time (every VT-d table is one frame).
     */
    public interface Frames extends TableFrames {
        @Override
        default long allocateContiguous(int frames) {
            throw new UnsupportedOperationException("the VT-d driver's tables are one frame each");
        }
    }

    /** The domain id of every PASID entry (first-level translation needs no other). */
    public static final int DOMAIN = 1;
    /** PDTS: the PASID directory has 2^(2+7) = 512 entries, one frame. */
    public static final int DIRECTORY_SIZE = 2;
    public static final int MAX_PASID = (1 << (DIRECTORY_SIZE + 7)) * PasidEntry.PER_TABLE - 1;
    /** Submissions of one batch: the first, and again after each device-TLB time-out that aborted its wait. */
    private static final int MAX_ATTEMPTS = 4;
    /** Page-selective descriptors per invalidation before one of the whole PASID is cheaper. */
    private static final int MAX_RANGES = 32;

    private final Iommu unit;
    private final VtdRegisters registers;
    private final SystemMemory memory;
    private final TableFrames frames;
    private final long root;
    private final long directory;
    private final long queue;
    private final long status;
    private final long pageRequests;
    /** Held while the page request queue is drained: one drainer at a time, never with this driver's monitor. */
    private final Object draining = new Object();
    /** Page groups whose last request has not arrived yet (under {@link #draining}). */
    private final OpenPageGroups openGroups = new OpenPageGroups();
    private volatile PageRequestHandler handler;
    private volatile java.util.function.Consumer<RequesterId> timeoutHandler = device -> { };
    /** Context tables by bus * 2 + (upper half of device numbers), and the devices whose context entries are written. */
    private final Map<Long, Long> contextTables = new HashMap<>();
    private final List<RequesterId> devices = new ArrayList<>();
    /** PASID tables by directory index, and how many present entries each holds. */
    private final Map<Integer, Long> pasidTables = new HashMap<>();
    private final Map<Integer, Integer> used = new HashMap<>();
    /** PRE of every context entry the driver writes: whether its devices may send page requests. */
    private boolean pageRequestsEnabled = true;
    private int tail;
    /** ECAP, read once at start: what the unit supports. */
    private final ExtendedCapability capability;
    /** The invalidation queue's entries: one frame of descriptors, as the driver set it (IQA's size 0). */
    private static final int QUEUE_ENTRIES = 4096 / Descriptor.BYTES;
    /**
     * The batch being made, its descriptors encoded as they are made ({@link #stage}); under the monitor.
     * Each batch starts with {@link #beginBatch} and is written by {@link #submit} or {@link #post}.
     */
    private long[] staged = new long[8 * Descriptor.WORDS];
    private int stagedCount;
    private int sequence;
    private boolean closed;

    /** Writes the unit's tables, programs it, and invalidates its context and PASID caches. */
    public VtdDriver(Iommu unit, SystemMemory memory, TableFrames frames) {
        this(unit, memory, frames, true);
    }

    /**
     * As {@link #VtdDriver(Iommu, SystemMemory, TableFrames)}, with the devices' page requests enabled or
     * not from the first context entry on ({@link #setPageRequests}).
     *
     * @throws IllegalArgumentException if the unit is not a VT-d unit or lacks what the driver uses
     */
    public VtdDriver(Iommu unit, SystemMemory memory, TableFrames frames, boolean enablePageRequests) {
        this.pageRequestsEnabled = enablePageRequests;
        this.unit = unit;
        this.registers = unit.registers(VtdRegisters.class);
        if (registers == null) {
            throw new IllegalArgumentException("IOMMU unit " + unit.unit() + " is " + unit.architecture() + ", not VT-d");
        }
        this.capability = ExtendedCapability.decode(registers.extendedCapability());
        requireCapabilities(unit.unit(), capability, enablePageRequests);
        this.memory = memory;
        this.frames = frames;
        this.root = frames.allocate();
        this.directory = frames.allocate();
        this.queue = frames.allocate();
        this.status = frames.allocate();
        this.pageRequests = frames.allocate();
        synchronized (this) { // a device arriving meanwhile waits for the tables
            registers.setDeviceArrival(this::deviceArrived);
            for (RequesterId rid : registers.deviceScope()) {
                deviceArrived(rid);
            }
        }
        registers.setInvalidationQueue(queue, 0);
        registers.setPageRequestQueue(pageRequests, 0);
        registers.setRootTable(root);
        synchronized (this) { // the queue's tail and the batch are the monitor's, and a device may arrive now
            beginBatch();
            stage(new Descriptor.ContextCacheInvalidation(Descriptor.ContextCacheInvalidation.GLOBAL, 0, 0, 0));
            stage(new Descriptor.PasidCacheInvalidation(Descriptor.PasidCacheInvalidation.GLOBAL, 0, 0));
            submit();
        }
    }

    /**
     * A device entered the unit's scope (at start, or hot-plugged): its context entry is written, PASIDs,
     * page requests and its device TLB (ATS) enabled, pointing at the one PASID directory. A context
     * entry that was not present is not cached, so nothing needs invalidating.
     */
    private synchronized void deviceArrived(RequesterId rid) {
        if (closed || devices.contains(rid)) {
            return;
        }
        boolean upper = rid.devfn() >= ContextEntry.PER_TABLE;
        long table = contextTables.computeIfAbsent(rid.bus() * 2L + (upper ? 1 : 0), k -> frames.allocate());
        long rootAt = RootEntry.address(root, rid.bus());
        RootEntry r = RootEntry.decode(memory.readLong(rootAt), memory.readLong(rootAt + 8));
        r = upper ? new RootEntry(r.lowerPresent(), r.lowerTable(), true, table) : new RootEntry(true, table, r.upperPresent(), r.upperTable());
        write(ContextEntry.address(table, rid.devfn()),
                contextEntry().encode());
        write(rootAt, r.encode()); // the root entry last: the unit never finds a table without its entry
        devices.add(rid);
    }

    /** A device's context entry: ATS (DTE) if the unit supports device TLBs (ECAP.DT), PASIDs, page requests as set. */
    private ContextEntry contextEntry() {
        return new ContextEntry(true, false, capability.deviceTlb(), true, pageRequestsEnabled, DIRECTORY_SIZE, directory, 0);
    }

    /**
     * Whether the unit's devices may send page requests (PRE in their context entries; on from the
     * start). Off, a GPU access to a page that is not present is a fault, never paged in: the policy
     * of an OS that requires memory a device uses to be resident (Windows); on, the OS serves page
     * requests (Linux's shared virtual addressing). Every device's context entry is written again and
     * the context cache invalidated (device-selective, as the entry changed under a present one);
     * when this returns, the unit decides by the new entries.
     */
    @Override
    public synchronized void setPageRequests(boolean enabled) {
        ensureOpen();
        if (enabled == pageRequestsEnabled) {
            return;
        }
        if (enabled && !capability.pageRequests()) {
            throw new IllegalStateException("IOMMU unit " + unit.unit() + " does not support page requests (ECAP.PRS is 0)");
        }
        pageRequestsEnabled = enabled;
        beginBatch();
        for (RequesterId rid : devices) {
            long table = contextTables.get(rid.bus() * 2L + (rid.devfn() >= ContextEntry.PER_TABLE ? 1 : 0));
            write(ContextEntry.address(table, rid.devfn()), contextEntry().encode());
            stage(new Descriptor.ContextCacheInvalidation(Descriptor.ContextCacheInvalidation.DEVICE, 0, rid.value(), 0));
        }
        if (stagedCount > 0) {
            submit();
        }
    }

    /** Whether the unit's devices may send page requests ({@link #setPageRequests}). */
    public synchronized boolean pageRequestsEnabled() {
        return pageRequestsEnabled;
    }

    @Override
    public int maxPasid() {
        return MAX_PASID;
    }

    /** The unit this driver programs. */
    @Override
    public Iommu unit() {
        return unit;
    }

    /**
     * Writes {@code pasid}'s entry: present, first-level only, 4-level paging, pointing at {@code pml4}.
     * An entry that was not present is not cached, so nothing needs invalidating.
     *
     * @throws IllegalArgumentException for a PASID outside 1..{@link #MAX_PASID} or a PML4 that is not a frame inside memory
     * @throws IllegalStateException    if the PASID is bound already
     */
    @Override
    public synchronized void bind(int pasid, long pml4) {
        checkPasid(pasid);
        if ((pml4 & 0xFFF) != 0 || pml4 < 0 || pml4 + 4096 > memory.size()) {
            throw new IllegalArgumentException(String.format(
                    "page-table root 0x%x for PASID %d is not a page-aligned address inside system memory", pml4, pasid));
        }
        ensureOpen();
        Long table = pasidTables.get(pasid >>> 6);
        if (table != null && (memory.readLong(PasidEntry.address(table, pasid)) & 1) != 0) {
            throw new IllegalStateException("PASID " + pasid + " is already bound");
        }
        if (table == null) {
            table = frames.allocate();
            pasidTables.put(pasid >>> 6, table);
            memory.writeLong(PasidDirectoryEntry.address(directory, pasid), new PasidDirectoryEntry(true, false, table).encode());
        }
        long[] words = PasidEntry.firstLevel(DOMAIN, pml4).encode();
        long at = PasidEntry.address(table, pasid);
        for (int i = words.length - 1; i >= 0; i--) { // the word with P last: the unit never reads half an entry
            memory.writeLong(at + 8L * i, words[i]);
        }
        used.merge(pasid >>> 6, 1, Integer::sum);
    }

    /**
     * Clears {@code pasid}'s entry and invalidates the PASID cache and the IOTLB for it; when this
     * returns, no request with the PASID is in flight and none will reach memory.
     *
     * @throws IllegalStateException if the PASID is not bound
     */
    @Override
    public synchronized void unbind(int pasid) {
        checkPasid(pasid);
        ensureOpen();
        Long table = pasidTables.get(pasid >>> 6);
        long at = table == null ? -1 : PasidEntry.address(table, pasid);
        if (table == null || (memory.readLong(at) & 1) == 0) {
            throw new IllegalStateException("PASID " + pasid + " is not bound");
        }
        for (int i = 0; i < PasidEntry.BYTES / 8; i++) { // the word with P first
            memory.writeLong(at + 8L * i, 0);
        }
        boolean emptied = used.merge(pasid >>> 6, -1, Integer::sum) == 0;
        if (emptied) {
            memory.writeLong(PasidDirectoryEntry.address(directory, pasid), 0);
        }
        beginBatch();
        stage(new Descriptor.PasidCacheInvalidation(Descriptor.PasidCacheInvalidation.PASID, DOMAIN, pasid));
        stage(new Descriptor.PasidIotlbInvalidation(Descriptor.PasidIotlbInvalidation.PASID, DOMAIN, pasid, 0, 0, false));
        deviceTlbs(pasid, 0, Long.MAX_VALUE);
        submit();
        if (emptied) { // the unit dropped what it cached from the table: it can go
            used.remove(pasid >>> 6);
            frames.free(pasidTables.remove(pasid >>> 6));
        }
    }

    /**
     * Removes the translations of {@code pasid} that overlap {@code [va, va + length)} (page-selective
     * descriptors of aligned power-of-two ranges, or the whole PASID when that takes fewer), and waits.
     */
    @Override
    public synchronized void invalidate(int pasid, long va, long length) {
        checkPasid(pasid);
        if (length <= 0) {
            throw new IllegalArgumentException("invalidation length must be > 0, not " + length);
        }
        ensureOpen();
        long first = va & ~0xFFFL;
        long end = (va + length + 0xFFF) & ~0xFFFL;
        beginBatch();
        int ranges = 0;
        for (long page = first; page < end && ++ranges <= MAX_RANGES; page += 4096L << rangeMask(page, end)) {
            stage(new Descriptor.PasidIotlbInvalidation(Descriptor.PasidIotlbInvalidation.PAGES, DOMAIN, pasid, page,
                    rangeMask(page, end), false));
        }
        if (ranges > MAX_RANGES) { // more ranges than descriptors are worth: the whole PASID instead
            beginBatch();
            stage(new Descriptor.PasidIotlbInvalidation(Descriptor.PasidIotlbInvalidation.PASID, DOMAIN, pasid, 0, 0, false));
            deviceTlbs(pasid, 0, Long.MAX_VALUE);
        } else {
            // each device TLB after the IOTLB: a miss there must not refill from the IOTLB
            for (long page = first; page < end; page += 4096L << rangeMask(page, end)) {
                deviceTlbs(pasid, page, 4096L << rangeMask(page, end));
            }
        }
        submit();
    }

    /**
     * AM of the aligned power-of-two range of pages from {@code page} on, below {@code end}: the largest
     * that fits (at most 2^30 pages).
     */
    private static int rangeMask(long page, long end) {
        int mask = Math.min(Long.numberOfTrailingZeros(page >>> 12), 63 - Long.numberOfLeadingZeros((end - page) >>> 12));
        return Math.min(mask, 30);
    }

    /** Removes every translation of {@code pasid} and waits. */
    public synchronized void invalidate(int pasid) {
        checkPasid(pasid);
        ensureOpen();
        beginBatch();
        stage(new Descriptor.PasidIotlbInvalidation(Descriptor.PasidIotlbInvalidation.PASID, DOMAIN, pasid, 0, 0, false));
        deviceTlbs(pasid, 0, Long.MAX_VALUE);
        submit();
    }

    /**
     * Adds the device-TLB invalidation of the range for every device in the unit's scope (their context
     * entries enable ATS): the unit passes it to a device that caches translations.
     */
    private void deviceTlbs(int pasid, long base, long length) {
        if (!capability.deviceTlb()) {
            return; // no device caches a translation: DTE is clear in every context entry
        }
        for (int i = 0; i < devices.size(); i++) {
            int rid = devices.get(i).value();
            stage(length == Long.MAX_VALUE ? Descriptor.PasidDeviceTlbInvalidation.all(rid, pasid)
                    : Descriptor.PasidDeviceTlbInvalidation.of(rid, pasid, base, length));
        }
    }

    /**
     * Tells {@code h} of each device that timed out a device-TLB invalidation (replacing any other), on the
     * thread that invalidated, with this driver's monitor held: it must only note or queue what to do
     * (reset the device), never call back into the driver or the memory manager.
     */
    @Override
    public void setDeviceTimeoutHandler(java.util.function.Consumer<RequesterId> h) {
        timeoutHandler = java.util.Objects.requireNonNull(h, "device time-out handler");
    }

    /**
     * Answers the unit's page requests with {@code h} (replacing any other): the unit's page request
     * interrupt drains its queue, and each group is answered with a page group response descriptor.
     */
    @Override
    public void setPageRequestHandler(PageRequestHandler h) {
        handler = java.util.Objects.requireNonNull(h, "page request handler");
        registers.setPageRequestInterrupt(this::servicePageRequests);
    }

    /** Stops answering with {@code h} if it is the handler: page requests then fail. */
    @Override
    public void clearPageRequestHandler(PageRequestHandler h) {
        if (handler == h) {
            handler = null;
            registers.setPageRequestInterrupt(null);
        }
    }

    /**
     * The page request interrupt: reads the descriptors from the queue's head to its tail, resolves
     * each (outside this driver's monitor: the OS may unmap, and so invalidate, to bring a page in),
     * answers every group whose last request arrived with the worst response of its pages, and moves
     * the head past them.
     */
    private void servicePageRequests() {
        synchronized (draining) {
            int entries = registers.pageRequestQueueEntries();
            int head = registers.pageRequestQueueHead() / PageRequestDescriptor.BYTES; // PQH and PQT hold byte offsets
            int tail = registers.pageRequestQueueTail() / PageRequestDescriptor.BYTES;
            List<Descriptor> responses = new ArrayList<>();
            for (; head != tail; head = (head + 1) % entries) {
                long at = pageRequests + (long) PageRequestDescriptor.BYTES * head;
                PageRequestDescriptor d = PageRequestDescriptor.decode(new long[] {memory.readLong(at), memory.readLong(at + 8), 0, 0});
                Access access = d.write() ? Access.WRITE : d.execute() ? Access.EXECUTE : Access.READ;
                PageResponse r = OpenPageGroups.resolve(handler, new PageRequest(d.pasid(), d.address(), access));
                PageResponse worst = openGroups.add(d.requesterId(), d.groupIndex(), r, d.lastInGroup());
                if (worst != null) {
                    // PASID present as the request had it (as Linux's handle_bad_prq_event and page_response copy it)
                    responses.add(new Descriptor.PageGroupResponse(d.requesterId(), d.pasid(), d.pasidPresent(),
                            worst == PageResponse.SUCCESS ? Descriptor.PageGroupResponse.SUCCESS
                                    : worst == PageResponse.INVALID ? Descriptor.PageGroupResponse.INVALID_REQUEST
                                    : Descriptor.PageGroupResponse.FAILURE, d.groupIndex(), true));
                }
            }
            registers.setPageRequestQueueHead(head * PageRequestDescriptor.BYTES);
            if (!responses.isEmpty()) {
                synchronized (this) {
                    if (!closed) {
                        beginBatch();
                        for (Descriptor response : responses) {
                            stage(response);
                        }
                        post(); // nothing waits on a response's delivery: no wait descriptor
                    }
                }
            }
        }
    }

    /**
     * Writes the batch and an invalidation wait into the queue, moves the tail, and checks the wait's
     * status write. @throws IllegalStateException naming the unit and the queue error if the unit stopped
     */
    private void submit() {
        int batch = stagedCount;
        for (int attempt = 1; ; attempt++) {
            int value = ++sequence;
            stagedCount = batch; // a batch submitted again: without the wait that was aborted
            stage(new Descriptor.InvalidationWait(false, true, true, false, value, status));
            enqueue();
            if ((int) memory.readLong(status) == value) {
                return; // the wait completed, so nothing before it stopped the queue: no register to read
            }
            checkQueue();
            boolean timedOut = false;
            for (RequesterId late = registers.invalidationTimeout(); late != null; late = registers.invalidationTimeout()) {
                System.getLogger(VtdDriver.class.getName()).log(System.Logger.Level.ERROR, "IOMMU unit " + unit.unit()
                        + ": device " + late + " did not answer a device-TLB invalidation in time (ITE); the unit refuses its"
                        + " translated requests until the device is reset");
                try {
                    timeoutHandler.accept(late);
                } catch (RuntimeException e) {
                    System.getLogger(VtdDriver.class.getName()).log(System.Logger.Level.WARNING, "device time-out handler: " + e);
                }
                registers.clearInvalidationTimeout(); // the queue goes on; the waits pending then were aborted
                timedOut = true;
            }
            if ((int) memory.readLong(status) == value) {
                return;
            }
            if (!timedOut || attempt == MAX_ATTEMPTS) {
                throw new IllegalStateException("IOMMU unit " + unit.unit() + ": the invalidation wait did not complete: "
                        + registers.queueError());
            }
            // the time-out aborted the wait: the batch again, as Linux's qi_submit_sync does on -EAGAIN (the device
            // that timed out is refused now and not asked again until it resets)
        }
    }

    /**
     * Writes the batch into the queue and moves the tail, with one write per run of entries up to the
     * queue's end. @throws IllegalStateException if the queue stopped
     */
    private void post() {
        enqueue();
        checkQueue();
    }

    /** @throws IllegalStateException naming the unit and the error if the invalidation queue stopped (IQE) */
    private void checkQueue() {
        String error = registers.queueError();
        if (error != null) {
            throw new IllegalStateException("IOMMU unit " + unit.unit() + ": the invalidation queue stopped: " + error);
        }
    }

    /**
     * As {@link #post}, without reading the error register after. A batch longer than the queue holds
     * (its entries less one: a tail that met the head would make the queue look empty) goes in parts, as
     * Linux's qi_batch flushes a full batch: each part's tail is written, and so the part processed,
     * before the next is written over its entries. A part the unit did not finish (the queue stopped)
     * ends the batch there; the wait, written last, then does not complete, and {@link #submit} says why.
     */
    private void enqueue() {
        int i = 0;
        while (i < stagedCount) {
            if (i > 0 && registers.invalidationQueueHead() != tail * Descriptor.BYTES) {
                return; // the queue stopped before the end of the last part: writing on would overwrite it
            }
            int end = i + Math.min(stagedCount - i, QUEUE_ENTRIES - 1);
            while (i < end) {
                int run = Math.min(end - i, QUEUE_ENTRIES - tail); // the queue is one frame: a run never crosses one
                memory.writeLongs(queue + (long) Descriptor.BYTES * tail, staged, i * Descriptor.WORDS, run * Descriptor.WORDS);
                tail = (tail + run) % QUEUE_ENTRIES;
                i += run;
            }
            registers.setInvalidationQueueTail(tail * Descriptor.BYTES); // IQT holds a byte offset (index << 5)
        }
    }

    /** Starts a batch (a batch that failed half made is dropped). */
    private void beginBatch() {
        stagedCount = 0;
    }

    /**
     * Adds {@code d} to the batch, encoded at once: at each call site its type is known, so its words are
     * direct calls and the record need not outlive the call.
     */
    private void stage(Descriptor d) {
        int at = stagedCount * Descriptor.WORDS;
        if (at == staged.length) {
            staged = java.util.Arrays.copyOf(staged, 2 * staged.length);
        }
        d.encode(staged, at);
        stagedCount++;
    }

    /** A descriptor (or entry) into memory, published to the unit by the tail write that follows. */
    private void write(long address, long[] words) {
        memory.writeLongs(address, words);
    }

    /**
     * Refuses, naming the missing bit, a unit that lacks what this driver uses: the invalidation queue,
     * scalable mode, first-level translation, PASIDs up to {@link #MAX_PASID} and, when asked for,
     * page requests (as Linux checks ECAP before it enables scalable mode and SVA).
     */
    private static void requireCapabilities(int unit, ExtendedCapability ecap, boolean pageRequests) {
        int pss = 31 - Integer.numberOfLeadingZeros(MAX_PASID); // PSS + 1 bits hold every PASID up to MAX_PASID
        String missing = !ecap.queuedInvalidation() ? "QI (the invalidation queue)"
                : !ecap.scalableMode() ? "SMTS (scalable mode)"
                : !ecap.firstLevel() ? "FLTS (first-level translation)"
                : !ecap.pasid() ? "PASID"
                : ecap.pasidSize() < pss ? "PSS of at least " + pss + " (PASIDs up to " + MAX_PASID + "; it has " + ecap.pasidSize() + ")"
                : pageRequests && !ecap.pageRequests() ? "PRS (page requests)"
                : null;
        if (missing != null) {
            throw new IllegalStateException("IOMMU unit " + unit + " lacks ECAP." + missing + ": this driver cannot use it");
        }
    }

    private static void checkPasid(int pasid) {
        Pasid.check(pasid);
        if (pasid > MAX_PASID) {
            throw new IllegalArgumentException("PASID " + pasid + " is beyond the PASID directory (1.." + MAX_PASID + ")");
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the driver of IOMMU unit " + unit.unit() + " is closed");
        }
    }

    /** Turns translation off (no root table) and gives every frame back. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        handler = null;
        try {
            registers.setDeviceArrival(null);
            registers.setPageRequestInterrupt(null);
            registers.setRootTable(-1);
        } catch (RuntimeException gone) {
            // the unit stopped with its bundle: its registers went with it
        }
        pasidTables.values().forEach(frames::free);
        contextTables.values().forEach(frames::free);
        for (long frame : new long[] {root, directory, queue, status, pageRequests}) {
            frames.free(frame);
        }
    }
}
