package machine.testing;

import iommu.hw.internal.AmdViFixture;
import iommu.hw.internal.IommuFixture;
import os.memmgr.internal.OsFixture;
import gpu.hw.internal.GpuFixture;
import kmd.reference.internal.ReferenceFixture;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongPredicate;

import org.osgi.service.event.EventAdmin;

import gpu.hw.DisplayMode;
import gpu.hw.GpuAdapter;
import gpu.hw.PciIdentity;
import gpu.hw.internal.SimulatedGpu;
import iommu.hw.internal.IommuUnit;
import iommu.hw.internal.LazySystemMemory;
import kmd.api.DisplayDriver;
import kmd.api.KernelModeDriver;
import kmd.api.VidMmCaps;
import kmd.reference.internal.ReferenceKmd;
import os.memmgr.internal.WindowsMemoryManager;
import vidmm.internal.VidMmConfig;
import vidmm.internal.VidMmThunks;
import vidmm.internal.VideoMemoryManager;

/**
 * The machine wired as SCR wires it, for tests and benchmarks: system memory, one IOMMU unit, the
 * OS memory manager (its pagefile if asked for), one adapter on that unit (and a second one behind a
 * second unit, if asked for), a kernel-mode driver
 * offered as a driver service, and VidMm, activated with its configuration and given the adapter
 * and the driver through its reference methods. The hardware, the OS and the reference driver come
 * from their modules' test fixtures ({@code IommuFixture}, {@code OsFixture}, {@code GpuFixture},
 * {@code ReferenceFixture}); VidMm is built through its component constructor. {@link #close()}
 * stops it all.
 */
public final class TestMachine implements AutoCloseable {
    /** The reference driver's caps in the IoMmu model: IOMMU addressing, page requests (no GpuMmu). */
    public static final VidMmCaps IOMMU = new VidMmCaps(true, true, false, false, false);
    /** The service id the first driver is offered with; {@link #offer} numbers the next ones from 100. */
    public static final long FIRST_DRIVER_ID = 1;

    private final LazySystemMemory memory;
    private final IommuUnit iommu;
    private final WindowsMemoryManager os;
    private final SimulatedGpu gpu;
    /** The second adapter, on a second IOMMU unit, or null. */
    private final SimulatedGpu gpu1;
    private final IommuUnit iommu1;
    private final KernelModeDriver kmd;
    private final VideoMemoryManager vidmm;
    /** Adapters made later ({@link #linkedAdapter}), powered off with the machine. */
    private final java.util.List<SimulatedGpu> later = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final DisplayDriver first;
    /** Checks that no driver call finds VidMm's bookkeeping locked (null: not checked). */
    private final LockProbe probe;
    private long nextDriverId = 100;

    private TestMachine(Builder b) {
        memory = IommuFixture.memory(b.memoryBytes);
        iommu = unit(b, 0);
        os = b.pagefile == null ? OsFixture.memoryManager(memory, iommu)
                : OsFixture.memoryManager(memory, iommu, b.pagefile, b.pagefileMiB, b.lowWaterPercent, b.failPagefileIo);
        gpu = GpuFixture.adapter(0, iommu, memory, b.identity, b.aperturePages, b.modes);
        if (b.secondIdentity != null) {
            iommu1 = unit(b, 1);
            os.addIommu(iommu1);
            gpu1 = GpuFixture.adapter(1, iommu1, memory, b.secondIdentity, b.aperturePages, b.secondModes);
        } else {
            iommu1 = null;
            gpu1 = null;
        }
        vidmm = new VideoMemoryManager(os, config(b));
        probe = b.lockProbe ? new LockProbe(vidmm::processes) : null;
        if (b.events != null) {
            vidmm.addEvents(b.events);
        }
        os.addProcessListener(vidmm);
        os.addDeviceListener(vidmm);
        vidmm.addAdapter(gpu);
        if (gpu1 != null) {
            vidmm.addAdapter(gpu1);
        }
        kmd = b.driver == null ? null : b.driver.apply(gpu);
        first = kmd == null ? null : offer(kmd, FIRST_DRIVER_ID, 1, b.driverName);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** What VidMm's configuration would say (Config Admin turns a configuration into this interface for SCR). */
    private static VidMmConfig config(Builder b) {
        return new VidMmConfig() {
            @Override
            public Class<? extends java.lang.annotation.Annotation> annotationType() {
                return VidMmConfig.class;
            }

            @Override
            public long budgetMiB() {
                return b.budgetMiB;
            }

            @Override
            public long tdrDelayMillis() {
                return b.tdrDelayMillis;
            }

            @Override
            public long tdrDdiDelayMillis() {
                return b.tdrDdiDelayMillis;
            }

            @Override
            public int tdrLimitCount() {
                return b.tdrLimitCount;
            }

            @Override
            public long tdrLimitTimeSeconds() {
                return b.tdrLimitSeconds;
            }
        };
    }

    public LazySystemMemory memory() {
        return memory;
    }

    public IommuUnit iommu() {
        return iommu;
    }

    /** The OS memory manager. */
    public WindowsMemoryManager os() {
        return os;
    }

    public SimulatedGpu gpu() {
        return gpu;
    }

    /** Adapter {@code index}: 0, or 1 when the machine has a second one. */
    public SimulatedGpu gpu(int index) {
        SimulatedGpu g = index == 0 ? gpu : index == 1 ? gpu1 : null;
        if (g == null) {
            throw new IllegalArgumentException("the machine has no adapter " + index);
        }
        return g;
    }

    /**
     * A linked adapter with index {@code index} whose two physical GPUs sit behind units 0 and 1 (the
     * machine needs a second adapter), one copy engine each, not yet given to VidMm: the caller plugs
     * it in ({@code vidmm().addAdapter}). It is powered off with the machine.
     */
    public SimulatedGpu linkedAdapter(int index, PciIdentity identity, int sources) {
        SimulatedGpu linked = GpuFixture.adapter(index, java.util.List.of(iommu, iommu(1)), memory, identity, 1024,
                SimulatedGpu.modes(sources, 64, 48), 1, true);
        later.add(linked);
        return linked;
    }

    /** IOMMU unit {@code unit}: 0, or 1 when the machine has a second adapter. */
    public IommuUnit iommu(int unit) {
        IommuUnit u = unit == 0 ? iommu : unit == 1 ? iommu1 : null;
        if (u == null) {
            throw new IllegalArgumentException("the machine has no IOMMU unit " + unit);
        }
        return u;
    }

    /** The context the first driver made for the adapter (as the driver made it), or null when none was offered. */
    public KernelModeDriver kmd() {
        return kmd;
    }

    /** The driver service the first driver was offered as (score 1, service id 1), or null. */
    public DisplayDriver driver() {
        return first;
    }

    /** {@link #kmd()} as the reference driver's context: for what only it tells (its handles, for tests). */
    public ReferenceKmd reference() {
        if (!(kmd instanceof ReferenceKmd r)) {
            throw new IllegalStateException("the machine's driver is " + kmd + ", not the reference driver");
        }
        return r;
    }

    public VideoMemoryManager vidmm() {
        return vidmm;
    }

    /** The user-mode thunks over this VidMm, as their component is activated. */
    public VidMmThunks thunks() {
        return new VidMmThunks(vidmm, os);
    }

    /**
     * Offers {@code context} to VidMm as a driver service would: a {@link DisplayDriver} whose
     * AddDevice hands it over, matching with {@code score}, with the given service id and name.
     * The best match is attached (its state replayed) before this returns.
     */
    public DisplayDriver offer(KernelModeDriver context, long serviceId, int score, String name) {
        DisplayDriver driver = new HandingOver(probe == null ? context : probe.watch(context), score);
        vidmm.bindDriver(driver, Map.of("service.id", serviceId, DisplayDriver.NAME, name));
        return driver;
    }

    /** As {@link #offer(KernelModeDriver, long, int, String)}, with the next service id. */
    public DisplayDriver offer(KernelModeDriver context, int score, String name) {
        long id;
        synchronized (this) {
            id = nextDriverId++;
        }
        return offer(context, id, score, name);
    }

    /** The driver service goes (its bundle stops): the adapter moves to the next best first. */
    public void withdraw(DisplayDriver driver) {
        vidmm.unbindDriver(driver);
    }

    /**
     * The aperture invariant, on a machine at rest: every aperture page of adapter 0 maps the dummy
     * page or the frame of the primary displayed there (which VidMm keeps pinned while it is
     * displayed). Releases that came due run on VidMm's own thread, so this looks again for up to two
     * seconds before it returns what breaks the invariant, one line a page.
     */
    public List<String> apertureViolations() throws InterruptedException {
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (true) {
            List<String> wrong = new java.util.ArrayList<>();
            List<vidmm.ApertureMapping> shown = vidmm.apertureMappings().stream().filter(m -> m.adapter() == 0).toList();
            long dummy = gpu.aperture().dummyFrame();
            for (long page = 0; page < gpu.aperture().pages(); page++) {
                long frame = gpu.apertureFrame(page);
                long at = page;
                if (frame != dummy && shown.stream().noneMatch(m -> at >= m.firstPage() && at < m.firstPage() + m.pages()
                        && m.frames()[(int) (at - m.firstPage())] == frame)) {
                    wrong.add("aperture page " + page + " maps frame 0x" + Long.toHexString(frame) + ", of no displayed primary");
                }
            }
            if (wrong.isEmpty() || System.nanoTime() > deadline) {
                return wrong;
            }
            Thread.sleep(20);
        }
    }

    /**
     * The driver calls that found VidMm's bookkeeping locked (a reader could not get in while the
     * driver ran), one line each; empty when the probe is off ({@link Builder#lockProbe}).
     */
    public List<String> lockViolations() {
        return probe == null ? List.of() : probe.violations();
    }

    /**
     * Stops VidMm, the GPUs and the OS's pagefile; an interrupt while the GPUs stop is kept for the
     * caller. Fails (after stopping it all) if a driver was called with VidMm's bookkeeping locked.
     */
    @Override
    public void close() {
        try {
            stop();
        } finally {
            if (probe != null) {
                probe.close();
                if (!probe.violations().isEmpty()) {
                    throw new AssertionError("driver calls made with VidMm's lock held: " + probe.violations());
                }
            }
        }
    }

    private void stop() {
        vidmm.stop();
        try {
            gpu.powerOff();
            if (gpu1 != null) {
                gpu1.powerOff();
            }
            for (SimulatedGpu g : later) {
                g.powerOff();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        os.shutdown();
    }

    /** A driver service that hands over one context it was given (the context's owner stops it). */
    private record HandingOver(KernelModeDriver context, int score) implements DisplayDriver {
        @Override
        public int match(PciIdentity adapter) {
            return score;
        }

        @Override
        public KernelModeDriver addDevice(GpuAdapter adapter) {
            return context;
        }

        @Override
        public void removeDevice(KernelModeDriver removed) {
            // the context belongs to whoever handed it over
        }
    }

    /** The machine's parts and policies; every setting has the default the tests mostly use. */
    /** IOMMU unit {@code index} of the builder's architecture. */
    private IommuUnit unit(Builder b, int index) {
        return b.arch.equals("amdvi") ? AmdViFixture.unit(memory, index, b.iotlbEntries, b.faultLogSize, 4,
                b.deviceTlbTimeoutMillis) : IommuFixture.unit(memory, index, b.iotlbEntries, b.faultLogSize, 4, b.deviceTlbTimeoutMillis);
    }

    public static final class Builder {
        private long memoryBytes = 256L << 20;
        private int iotlbEntries = 4096;
        private int faultLogSize = 64;
        private Path pagefile;
        private long pagefileMiB;
        private int lowWaterPercent = 1;
        private LongPredicate failPagefileIo = n -> false;
        private PciIdentity identity = new PciIdentity(0x1234, 0x1111, 2);
        private PciIdentity secondIdentity;
        private List<DisplayMode> secondModes = List.of();
        private long aperturePages = 4096;
        private List<DisplayMode> modes = SimulatedGpu.modes(2, 64, 48);
        private VidMmCaps caps = IOMMU;
        private long apertureCommitLimit = 64L << 20;
        private Function<GpuAdapter, KernelModeDriver> driver;
        private String driverName = "ReferenceKmd";
        private long budgetMiB = 1024;
        private long tdrDelayMillis = 2000;
        private long tdrDdiDelayMillis = 5000;
        private int tdrLimitCount = 5;
        private long tdrLimitSeconds = 60;
        private EventAdmin events;
        private boolean noDriver;
        private int deviceTlbTimeoutMillis = 1000;
        private String arch = "vtd";
        private boolean lockProbe = true;

        private Builder() {
        }

        /**
         * Whether every driver call first checks, from another thread, that VidMm's bookkeeping can be
         * read meanwhile (default on; {@link TestMachine#close} fails on a violation). Benchmarks turn
         * it off: it costs a thread hand-off a call.
         */
        public Builder lockProbe(boolean on) {
            lockProbe = on;
            return this;
        }

        /** How long unit 0 waits for a GPU to answer a device-TLB invalidation (default 1000 ms). */
        public Builder deviceTlbTimeoutMillis(int millis) {
            deviceTlbTimeoutMillis = millis;
            return this;
        }

        /** System memory (default 256 MiB). */
        /** The IOMMU units' architecture: {@code vtd} (the default) or {@code amdvi}. */
        public Builder arch(String name) {
            if (!name.equals("vtd") && !name.equals("amdvi")) {
                throw new IllegalArgumentException("arch must be vtd or amdvi, not " + name);
            }
            arch = name;
            return this;
        }

        public Builder memory(long bytes) {
            memoryBytes = bytes;
            return this;
        }

        /** The IOMMU unit's IOTLB entries (default 4096) and fault log size (default 64). */
        public Builder iommu(int iotlbEntries, int faultLogSize) {
            this.iotlbEntries = iotlbEntries;
            this.faultLogSize = faultLogSize;
            return this;
        }

        /** A pagefile of {@code mib} at {@code file}, trimming at {@code lowWaterPercent} of memory (default: none). */
        public Builder pagefile(Path file, long mib, int lowWaterPercent) {
            this.pagefile = file;
            this.pagefileMiB = mib;
            this.lowWaterPercent = lowWaterPercent;
            return this;
        }

        /** As {@link #pagefile}, its I/O operation {@code n} failing when {@code failIo.test(n)}. */
        public Builder pagefile(Path file, long mib, int lowWaterPercent, LongPredicate failIo) {
            this.failPagefileIo = failIo;
            return pagefile(file, mib, lowWaterPercent);
        }

        /**
         * A second adapter, index 1, behind a second IOMMU unit (unit 1), with {@code identity} and
         * {@code sources} 64x48 sources (0: render only); none by default.
         */
        public Builder secondAdapter(PciIdentity identity, int sources) {
            this.secondIdentity = identity;
            this.secondModes = SimulatedGpu.modes(sources, 64, 48);
            return this;
        }

        /** The adapters' aperture segment in pages (default 4096). */
        public Builder aperturePages(long pages) {
            aperturePages = pages;
            return this;
        }

        /** The adapter's video present sources (default two of 64x48). */
        public Builder sources(int count, int width, int height) {
            modes = SimulatedGpu.modes(count, width, height);
            return this;
        }

        /** The reference driver's caps (default {@link #IOMMU}) and aperture commit limit (default 64 MiB). */
        public Builder reference(VidMmCaps caps, long apertureCommitLimit) {
            this.caps = caps;
            this.apertureCommitLimit = apertureCommitLimit;
            return this;
        }

        /** The first driver's context, made for the adapter (default: the reference driver's). */
        public Builder driver(Function<GpuAdapter, KernelModeDriver> context, String name) {
            this.driver = context;
            this.driverName = name;
            return this;
        }

        /** No driver at first: the adapter waits for one ({@link TestMachine#offer}). */
        public Builder noDriver() {
            noDriver = true;
            return this;
        }

        /** VidMm's residency budget per process (default 1 GiB; whole MiB). */
        public Builder budget(long bytes) {
            budgetMiB = Math.max(1, bytes >> 20);
            return this;
        }

        /** TdrDelay and TdrDdiDelay (0: DDIs on the caller's thread, unguarded); defaults 2 s and 5 s. */
        public Builder tdr(long delayMillis, long ddiDelayMillis) {
            tdrDelayMillis = delayMillis;
            tdrDdiDelayMillis = ddiDelayMillis;
            return this;
        }

        /** TdrLimitCount timeouts within TdrLimitTime (defaults 5 within 60 s). */
        public Builder tdrLimit(int count, long seconds) {
            tdrLimitCount = count;
            tdrLimitSeconds = seconds;
            return this;
        }

        /** The Event Admin VidMm posts to (default none). */
        public Builder events(EventAdmin events) {
            this.events = events;
            return this;
        }

        public TestMachine build() {
            if (!noDriver && driver == null) {
                VidMmCaps c = caps;
                long limit = apertureCommitLimit;
                driver = gpu -> ReferenceFixture.kmd(gpu, c, limit);
            }
            if (noDriver) {
                driver = null;
            }
            return new TestMachine(this);
        }
    }
}
