package vidmm.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import kmd.api.KernelModeDriver;
import kmd.api.PagingOperation;
import kmd.api.VidPnSourceMode;
import os.memmgr.PinnedPages;
import vidmm.ApertureMapping;
import vidmm.VidMmEvents;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

import static vidmm.internal.Calls.ddi;
import static vidmm.internal.Calls.os;
import static vidmm.internal.Calls.quietly;

/**
 * One adapter's display: primaries pinned and mapped into its aperture segment
 * (MapApertureSegment), sources pointed at them (SetVidPnSourceAddress), and unmapped and unpinned
 * when replaced or blanked. Guarded by the adapter's lock; a present waits for its mapping, a
 * release for its unmapping, and a new driver's replay for its maps ({@link AdapterDrivers#settleReplay})
 * without it.
 */
final class Display {
    /** A primary a source displays: its aperture range and the pin that keeps its frames. */
    private record Displayed(int source, AllocationState allocation, long firstPage, long pages, PinnedPages pin) {
    }

    private final AdapterState a;
    private final DriverSeat seat;
    private final AdapterDrivers change;
    private final PagingFence pagingFence;
    private final Map<Integer, Displayed> displayed = new TreeMap<>();
    /** Per source, the present whose MapApertureSegment is in flight (the last one asked). */
    private final Map<Integer, Mapping> mapping = new HashMap<>();
    /** The primaries a new driver's replay mapped, to point their sources at once the maps completed. */
    private List<Displayed> replayed = List.of();
    /**
     * Released primaries the aperture may still map (their unmap could not be issued: VidMm held the
     * driver's exclusive access, or the driver refused or hung): still pinned, their range reserved,
     * until a driver unmaps them ({@link #unmapDueLocked}).
     */
    private List<Displayed> unmapsDue = new ArrayList<>();
    /**
     * Per process, how many of its released primaries are still pinned (their unmap due or in
     * flight). Its own monitor, a leaf: a process's exit waits on it ({@link #awaitUnpinned}).
     */
    private final Map<Integer, Integer> unpinsPending = new HashMap<>();

    Display(AdapterState adapter, DriverSeat seat, AdapterDrivers change, PagingFence pagingFence) {
        this.a = adapter;
        this.seat = seat;
        this.change = change;
        this.pagingFence = pagingFence;
    }

    /**
     * Shows a primary on a source. Under the adapter's lock: the primary is pinned, a range of the
     * aperture reserved and MapApertureSegment issued; the paging fence is then awaited without the
     * lock (other devices' calls go on); under the lock again the source is pointed at it, unless
     * the world moved meanwhile (a later present on the source, the device or the allocation gone,
     * another driver), in which case the mapping is released and the present refused or, when a
     * later present replaced it, dropped.
     */
    void present(long device, long allocation, int source) {
        Mapping m = change.settled(() -> mapLocked(device, allocation, source)); // not while the driver changes
        if (m == null) {
            return; // already shown there
        }
        VidMmException late = null;
        try {
            pagingFence.await(m.fence(), "MapApertureSegment", 5000);
        } catch (VidMmException e) {
            late = e;
        }
        try (AdapterState.Held held = a.change()) {
            showLocked(m, late);
        }
    }

    /** A present whose MapApertureSegment is in flight: the primary, its range in {@code space}, its pin, and the driver asked. */
    private record Mapping(Displayed shown, ApertureSpace space, long fence, KernelModeDriver kmd, long device) {
    }

    private Mapping mapLocked(long device, long allocation, int source) {
        seat.requireStarted();
        DeviceState d = a.deviceLocked(device);
        AdapterState.requireActive(d);
        AllocationState x = a.allocationLocked(d, allocation);
        if (!x.primary()) {
            throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "allocation 0x" + Long.toHexString(allocation)
                    + " is not a primary (allocate it with the PRIMARY flag)");
        }
        List<VidPnSourceMode> modes = seat.sourceModes();
        if (source < 0 || source >= modes.size()) {
            throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "video present source " + source
                    + " does not exist on adapter " + a.index + "; its driver reports " + modes.size() + " source(s)");
        }
        VidPnSourceMode mode = modes.get(source);
        if (x.size < mode.surfaceBytes()) {
            throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "primary of " + x.size + " bytes is smaller than"
                    + " source " + source + "'s " + mode.width() + "x" + mode.height() + " surface of "
                    + mode.surfaceBytes() + " bytes");
        }
        Displayed previous = displayed.get(source);
        if (previous != null && previous.allocation() == x && !mapping.containsKey(source)) {
            return null;
        }
        ApertureSpace aperture = seat.aperture();
        long pages = x.size >>> 12;
        long first = aperture.reserve(pages);
        PinnedPages pin;
        try {
            pin = a.os(() -> a.mm.addressSpace(d.pid).pin(x.va, x.size, false));
        } catch (VidMmException e) {
            aperture.release(first, pages);
            throw e;
        }
        KernelModeDriver kmd = seat.kmd();
        long fence = pagingFence.next();
        try {
            ddi("DxgkDdiBuildPagingBuffer(MapApertureSegment)", () -> paging(fence, id -> kmd.buildPagingBuffer(
                    new PagingOperation.MapApertureSegment(aperture.segmentId, first, pin.frames()), id)));
        } catch (VidMmException e) {
            aperture.release(first, pages);
            a.osQuietly(() -> a.mm.addressSpace(d.pid).unpin(pin.handle()));
            throw e;
        }
        Mapping m = new Mapping(new Displayed(source, x, first, pages, pin), aperture, fence, kmd, device);
        mapping.put(source, m); // a present of this source still mapping sees it was replaced
        return m;
    }

    private void showLocked(Mapping m, VidMmException late) {
        Displayed shown = m.shown();
        int source = shown.source();
        boolean current = mapping.remove(source, m);
        DeviceState owner = a.devices.get(m.device());
        String moved = null;
        if (!current) {
            moved = "a later present on source " + source + " replaced it";
        } else if (seat.kmd() != m.kmd() || seat.aperture() != m.space()) {
            moved = "the adapter's driver changed meanwhile";
        } else if (owner == null || !owner.active() || owner.closing()) {
            moved = "device 0x" + Long.toHexString(m.device()) + " went or faulted meanwhile";
        } else if (a.allocations.get(shown.allocation().handle) != shown.allocation()) {
            moved = "allocation 0x" + Long.toHexString(shown.allocation().handle) + " went meanwhile";
        }
        if (late != null || moved != null) {
            releaseMappingLocked(m);
            if (late != null) {
                throw late;
            }
            if (!current) {
                return; // the later present shows its primary
            }
            throw new VidMmException(VidMmStatus.INVALID_PARAMETER, "present on source " + source + " dropped: " + moved);
        }
        KernelModeDriver kmd = m.kmd();
        try {
            ddi("DxgkDdiSetVidPnSourceAddress", () -> kmd.setVidPnSourceAddress(source, m.space().segmentId,
                    shown.firstPage() << 12));
        } catch (VidMmException e) {
            releaseLocked(shown);
            throw e;
        }
        Displayed previous = displayed.put(source, shown);
        if (previous != null) {
            releaseLocked(previous);
        }
        DeviceState d = shown.allocation().device;
        a.post(VidMmEvents.PRESENT, () -> VidMmEventProperties.present(d.handle, d.pid, shown.allocation().handle, source,
                shown.allocation().va));
    }

    /** A mapping that will not be shown: unmapped through its driver if that is still the attached one, then released. */
    private void releaseMappingLocked(Mapping m) {
        if (seat.kmd() == m.kmd() && seat.aperture() == m.space()) {
            releaseLocked(m.shown());
        } else { // another driver's aperture: the old one's range went with it; only the pin is ours
            Displayed x = m.shown();
            a.osQuietly(() -> a.mm.addressSpace(x.allocation().device.pid).unpin(x.pin().handle()));
        }
    }

    /**
     * Unmaps a primary from the aperture (dummy page again), then, once the unmap's paging fence
     * completed, releases its aperture range and unpins it: nothing waits for that under the lock,
     * and until then no aperture access can reach a frame given to someone else. While VidMm holds
     * the driver's exclusive access (a change), or when the driver refuses or hangs, the unmap is due:
     * the primary stays pinned and its range reserved until a driver unmaps it.
     */
    private void releaseLocked(Displayed x) {
        synchronized (unpinsPending) {
            unpinsPending.merge(x.allocation().device.pid, 1, Integer::sum);
        }
        unmapLocked(x);
    }

    /** {@link #releaseLocked}'s unmap, issued now or made due again. */
    private void unmapLocked(Displayed x) {
        ApertureSpace space = seat.aperture();
        KernelModeDriver kmd = seat.kmd();
        if (kmd == null) { // no driver, none to unmap through: as the last one left it
            releaseNow(x, space);
            return;
        }
        if (seat.exclusiveLocked()) {
            unmapsDue.add(x); // VidMm asks nothing of a driver whose exclusive access it holds
            return;
        }
        long fence = pagingFence.next();
        try {
            ddi("DxgkDdiBuildPagingBuffer(UnmapApertureSegment)", () -> paging(fence, id -> kmd.buildPagingBuffer(
                    new PagingOperation.UnmapApertureSegment(space.segmentId, x.firstPage(), x.pages()), id)));
        } catch (VidMmException e) {
            if (e.status() != VidMmStatus.DRIVER_HUNG) { // a hung driver is given up: the next one unmaps it
                System.getLogger(Display.class.getName()).log(System.Logger.Level.WARNING, e.getMessage()
                        + "; the primary stays pinned until a driver unmaps it");
            }
            unmapsDue.add(x);
            return;
        }
        pagingFence.whenCompleted(fence, () -> releaseNow(x, space));
    }

    /** Releases {@code x}'s range in {@code space} (if that is still the driver's aperture) and unpins it. */
    private void releaseNow(Displayed x, ApertureSpace space) {
        if (seat.aperture() == space) { // else another driver's aperture replaced it, with its own reservations
            space.release(x.firstPage(), x.pages());
        }
        int pid = x.allocation().device.pid;
        a.osQuietly(() -> a.mm.addressSpace(pid).unpin(x.pin().handle()));
        synchronized (unpinsPending) {
            unpinsPending.computeIfPresent(pid, (p, n) -> n == 1 ? null : n - 1);
            unpinsPending.notifyAll();
        }
    }

    /**
     * Waits, without the adapter's locks, until no released primary of process {@code pid} is still
     * pinned (an unmap due during a driver change is issued when it ends, and the frames are unpinned
     * once the unmap's paging fence completed), at most {@code millis}; returns whether none is. A
     * process's exit waits for it, so that the OS never frees a frame the aperture still maps.
     */
    boolean awaitUnpinned(int pid, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000L;
        synchronized (unpinsPending) {
            return Monitors.awaitUntil(unpinsPending, () -> !unpinsPending.containsKey(pid), deadline);
        }
    }

    /** VidMm may ask the driver again (a change ended, a driver attached): the unmaps that were due are issued now. */
    void unmapDueLocked() {
        List<Displayed> due = unmapsDue;
        unmapsDue = new ArrayList<>();
        for (Displayed x : due) {
            unmapLocked(x);
        }
    }

    /** Turns a source off (no surface) and releases the primary it showed. */
    private void blankLocked(int source) {
        Displayed x = displayed.remove(source);
        KernelModeDriver kmd = seat.kmd();
        if (kmd != null) {
            quietly(() -> kmd.setVidPnSourceAddress(source, 0, 0));
        }
        if (x != null) {
            releaseLocked(x);
        }
    }

    void blankAll() {
        for (Integer source : new ArrayList<>(displayed.keySet())) {
            blankLocked(source);
        }
    }

    /** Blanks every source that shows a primary of {@code d} (the device is going). */
    void blankShowing(DeviceState d) {
        for (Displayed x : new ArrayList<>(displayed.values())) {
            if (x.allocation().device == d) {
                blankLocked(x.source());
            }
        }
    }

    /** A displayed primary may not be destroyed. */
    void refuseIfShown(AllocationState x) {
        for (Mapping m : mapping.values()) {
            if (m.shown().allocation() == x) {
                throw new VidMmException(VidMmStatus.ALLOCATION_IN_USE, "allocation 0x" + Long.toHexString(x.handle)
                        + " is being presented on source " + m.shown().source() + "; wait for the present to return");
            }
        }
        for (Displayed shown : displayed.values()) {
            if (shown.allocation() == x) {
                throw new VidMmException(VidMmStatus.ALLOCATION_IN_USE, "allocation 0x" + Long.toHexString(x.handle)
                        + " is displayed on source " + shown.source() + "; present another primary there first");
            }
        }
    }

    /** The allocations on screen (never evicted). */
    Set<AllocationState> shown() {
        Set<AllocationState> set = new HashSet<>();
        displayed.values().forEach(x -> set.add(x.allocation()));
        return set;
    }

    /** A new driver's aperture keeps the displayed primaries, and those still to be unmapped, where they are. */
    void reserveShownIn(ApertureSpace space) {
        for (Displayed x : displayed.values()) {
            space.reserveAt(x.firstPage(), x.pages());
        }
        for (Displayed x : unmapsDue) {
            try {
                space.reserveAt(x.firstPage(), x.pages());
            } catch (VidMmException outside) {
                // outside this driver's segment: it can neither map nor unmap there; the primary stays pinned
            }
        }
    }

    /**
     * Maps every displayed primary again (a new driver was attached), waiting for nothing; returns the
     * last map's paging fence (0: nothing displayed). Once it completed, {@link #pointReplayedLocked}
     * points the sources at them.
     */
    long replayLocked() {
        KernelModeDriver kmd = seat.kmd();
        replayed = new ArrayList<>(displayed.values());
        long last = 0;
        for (Displayed x : replayed) {
            long fence = pagingFence.next();
            ddi("DxgkDdiBuildPagingBuffer(MapApertureSegment)", () -> paging(fence, id -> kmd.buildPagingBuffer(
                    new PagingOperation.MapApertureSegment(seat.aperture().segmentId, x.firstPage(), x.pin().frames()), id)));
            last = fence;
        }
        return last;
    }

    /** The replay's maps completed: each source still showing the primary replayed scans it out again. */
    void pointReplayedLocked() {
        KernelModeDriver kmd = seat.kmd();
        for (Displayed x : replayed) {
            if (displayed.get(x.source()) == x) { // else a present since replaced it, pointing the source itself
                ddi("DxgkDdiSetVidPnSourceAddress", () -> kmd.setVidPnSourceAddress(x.source(),
                        seat.aperture().segmentId, x.firstPage() << 12));
            }
        }
        replayed = List.of();
    }

    List<ApertureMapping> mappings() {
        try (AdapterState.Held held = a.read()) {
            List<ApertureMapping> list = new ArrayList<>();
            for (Displayed x : displayed.values()) {
                list.add(new ApertureMapping(x.source(), x.allocation().handle, x.allocation().device.pid, x.firstPage(),
                        x.pages(), x.pin().frames(), a.index));
            }
            return list;
        }
    }

    /**
     * A paging buffer for paging fence {@code fence}: the paging node's next SubmissionFenceId, which
     * {@code toDriver} gives the driver (DxgkDdiBuildPagingBuffer) and its DMA_COMPLETED names;
     * withdrawn if the driver refuses.
     */
    private void paging(long fence, java.util.function.LongConsumer toDriver) {
        long id = a.nodeFences.paging(fence);
        try {
            toDriver.accept(id);
        } catch (RuntimeException e) {
            a.nodeFences.withdraw(kmd.api.EngineNode.COPY, 0, id);
            throw e;
        }
    }
}
