package gpu.hw.internal;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.metatype.annotations.Designate;

import java.util.List;

import gpu.hw.ApertureInfo;
import gpu.hw.BufferSubmission;
import gpu.hw.DisplayMode;
import gpu.hw.EngineStatus;
import gpu.hw.EngineType;
import gpu.hw.DeviceTlbStats;
import gpu.hw.GpuAdapter;
import gpu.hw.GpuCommand;
import gpu.hw.GpuStats;
import gpu.hw.Interrupt;
import gpu.hw.InterruptSink;
import gpu.hw.PciIdentity;
import gpu.hw.PixelFormat;
import gpu.hw.ScanoutFrame;
import gpu.hw.Submission;
import iommu.hw.AtsPort;
import iommu.hw.DmaInitiator;
import iommu.hw.Pasid;
import iommu.hw.SystemMemory;

/**
 * The simulated adapter: a copy engine and a render engine, each on its own thread, reaching memory
 * only through the IOMMU's DMA port. Its PCI identity comes from configuration and, since the
 * configuration's attribute names are the service property names, is published as the service
 * properties drivers target (see {@link GpuAdapter}).
 */
@Component(service = GpuAdapter.class, configurationPid = GpuConfig.PID, immediate = true,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = GpuConfig.class, factory = true)
public final class SimulatedGpu implements GpuAdapter {
    private static final System.Logger LOG = System.getLogger(SimulatedGpu.class.getName());

    private final int index;
    /** Per physical GPU (one, or two for a linked adapter): the IOMMU unit its DMA goes through. */
    private final int[] iommuUnits;
    private final PciIdentity identity;
    /** Per physical GPU, the executor of its engines' commands (its own DMA port). */
    private final CommandExecutor[] executors;
    /**
     * Per type, its engines: per physical GPU one render engine and {@code copyEngines} copy engines;
     * GPU 0's first, then GPU 1's.
     */
    private final Map<EngineType, Engine[]> engines = new EnumMap<>(EngineType.class);
    private final AtomicReference<InterruptSink> sink = new AtomicReference<>();
    private final Aperture aperture;
    private final DisplayController display;
    /** Each physical GPU's device TLB and its port through its unit (none without ATS). */
    private final DeviceTlb[] deviceTlbs;
    private final AtsPort[] atsPorts;

    @Activate
    public SimulatedGpu(@Reference(name = "dma") DmaInitiator dma,
                        @Reference(name = "linked", cardinality = ReferenceCardinality.OPTIONAL, target = "(iommu.unit=-1)")
                        DmaInitiator linked,
                        @Reference SystemMemory memory, GpuConfig config) {
        this(clamp(config.adapter_index(), 0, 15, 0), linked == null ? List.of(dma) : List.of(dma, linked), memory, new PciIdentity(config.pci_vendor() & 0xFFFF, config.pci_device() & 0xFFFF,
                        config.pci_revision() & 0xFF), clamp(config.apertureMiB(), 1, 4096, 256) << 8,
                modes(clamp(config.displaySources(), 0, 4, 2), clamp(config.displayWidth(), 1, 8192, 320),
                        clamp(config.displayHeight(), 1, 8192, 240)), clamp(config.copyEngines(), 1, 4, 2), config.ats());
    }

    /** Adapter 0 with an aperture of {@code aperturePages} (dummy page: frame 0) and the given sources. */
    SimulatedGpu(DmaInitiator dma, SystemMemory memory, PciIdentity identity, long aperturePages,
                 List<DisplayMode> modes) {
        this(0, dma, memory, identity, aperturePages, modes);
    }

    /** Adapter {@code index} behind {@code dma}'s IOMMU unit, with two copy engines. */
    SimulatedGpu(int index, DmaInitiator dma, SystemMemory memory, PciIdentity identity, long aperturePages,
                 List<DisplayMode> modes) {
        this(index, dma, memory, identity, aperturePages, modes, 2);
    }

    /** Adapter {@code index} behind {@code dma}'s IOMMU unit, with {@code copyEngines} copy engines. */
    SimulatedGpu(int index, DmaInitiator dma, SystemMemory memory, PciIdentity identity, long aperturePages,
                 List<DisplayMode> modes, int copyEngines) {
        this(index, List.of(dma), memory, identity, aperturePages, modes, copyEngines);
    }

    /**
     * Adapter {@code index} with one physical GPU per DMA port in {@code gpus} (two: a linked adapter,
     * one driver context over two GPUs, each behind its own IOMMU unit), each with one render engine
     * and {@code copyEngines} copy engines.
     */
    SimulatedGpu(int index, List<DmaInitiator> gpus, SystemMemory memory, PciIdentity identity, long aperturePages,
                 List<DisplayMode> modes, int copyEngines) {
        this(index, gpus, memory, identity, aperturePages, modes, copyEngines, true);
    }

    /**
     * As above; with {@code ats}, each physical GPU caches translations in its own device TLB and sends
     * translated requests (PCIe ATS), else every request is untranslated and the IOMMU translates it.
     */
    SimulatedGpu(int index, List<DmaInitiator> gpus, SystemMemory memory, PciIdentity identity, long aperturePages,
                 List<DisplayMode> modes, int copyEngines, boolean ats) {
        if (copyEngines < 1) {
            throw new IllegalArgumentException("an adapter needs at least one copy engine, not " + copyEngines);
        }
        if (gpus.isEmpty() || gpus.size() > 2) {
            throw new IllegalArgumentException("an adapter has one or two physical GPUs, not " + gpus.size());
        }
        this.index = index;
        this.iommuUnits = gpus.stream().mapToInt(DmaInitiator::unit).toArray();
        this.identity = identity;
        this.deviceTlbs = new DeviceTlb[ats ? gpus.size() : 0];
        this.atsPorts = new AtsPort[deviceTlbs.length];
        this.executors = new CommandExecutor[gpus.size()];
        for (int g = 0; g < gpus.size(); g++) {
            DmaInitiator port = gpus.get(g).device(requesterId(index, g)); // the GPU enters its unit's device scope
            if (ats) {
                deviceTlbs[g] = new DeviceTlb();
                atsPorts[g] = port.attach(deviceTlbs[g]);
                executors[g] = new CommandExecutor(new AtsDma(atsPorts[g], deviceTlbs[g]));
            } else {
                executors[g] = new CommandExecutor(EngineDma.untranslated(port));
            }
        }
        this.aperture = new Aperture(aperturePages, 0, memory.frameCount());
        this.display = new DisplayController(modes, aperture, memory);
        for (EngineType type : EngineType.values()) {
            int perGpu = type == EngineType.COPY ? copyEngines : 1;
            Engine[] of = new Engine[perGpu * executors.length];
            for (int i = 0; i < of.length; i++) {
                of[i] = new Engine(type, i, executors[i / perGpu], this::raise);
                of[i].start();
            }
            engines.put(type, of);
        }
    }

    static int clamp(int value, int min, int max, int fallback) {
        if (value < min || value > max) {
            LOG.log(System.Logger.Level.ERROR, "configuration " + GpuConfig.PID + ": value " + value + " is outside "
                    + min + ".." + max + "; using " + fallback);
            return fallback;
        }
        return value;
    }

    /** {@code sources} sources of one B8G8R8A8 mode with a pitch of four bytes a pixel. */
    public static List<DisplayMode> modes(int sources, int width, int height) {
        List<DisplayMode> modes = new java.util.ArrayList<>();
        for (int i = 0; i < sources; i++) {
            modes.add(new DisplayMode(width, height, width * 4, PixelFormat.B8G8R8A8));
        }
        return modes;
    }

    @Deactivate
    public void powerOff() throws InterruptedException {
        for (Engine[] of : engines.values()) {
            for (Engine engine : of) {
                engine.stop();
            }
        }
        for (AtsPort port : atsPorts) {
            port.close();
        }
    }

    private void raise(Interrupt interrupt) {
        InterruptSink s = sink.get();
        if (s == null) {
            return;
        }
        try {
            s.interrupt(interrupt);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "interrupt sink threw on " + interrupt, e);
        }
    }

    @Override
    public PciIdentity identity() {
        return identity;
    }

    @Override
    public int index() {
        return index;
    }

    @Override
    public int iommuUnit() {
        return iommuUnits[0];
    }

    @Override
    public int physicalGpus() {
        return iommuUnits.length;
    }

    @Override
    public int iommuUnit(int physicalGpu) {
        if (physicalGpu < 0 || physicalGpu >= iommuUnits.length) {
            throw new IllegalArgumentException("physical GPU " + physicalGpu + " does not exist; the adapter has "
                    + iommuUnits.length);
        }
        return iommuUnits[physicalGpu];
    }

    @Override
    public String attachedDriver() {
        InterruptSink s = sink.get();
        return s == null ? null : s.driverName();
    }

    @Override
    public void attach(InterruptSink s) {
        sink.set(java.util.Objects.requireNonNull(s, "interrupt sink"));
    }

    @Override
    public void detach(InterruptSink s) {
        sink.compareAndSet(s, null);
    }

    @Override
    public long engineProgress(EngineType engine) {
        long sum = 0;
        for (Engine e : engines.get(java.util.Objects.requireNonNull(engine, "engine"))) {
            sum += e.progress();
        }
        return sum;
    }

    @Override
    public void resetFunction() {
        sink.set(null);
        for (EngineType type : EngineType.values()) {
            try {
                resetEngine(type);
            } catch (IllegalStateException stillStopping) {
                // it stops at its next chunk, with no driver to tell
            }
        }
    }

    @Override
    public void submit(EngineType engine, int instance, Submission submission) {
        validate(submission);
        engine(engine, instance).submit(submission);
    }

    @Override
    public void submitBuffer(EngineType engine, int instance, BufferSubmission submission) {
        Pasid.check(submission.pasid());
        if (submission.bytes() < 1 || submission.bytes() > BufferSubmission.MAX_BYTES) {
            throw new IllegalArgumentException("command buffer length must be 1.." + BufferSubmission.MAX_BYTES
                    + " bytes, not " + submission.bytes());
        }
        engine(engine, instance).submit(submission);
    }

    private Engine engine(EngineType type, int instance) {
        java.util.Objects.requireNonNull(type, "engine");
        Engine[] of = engines.get(type);
        if (instance < 0 || instance >= of.length) {
            throw new IllegalArgumentException(type + " engine " + instance + " does not exist; the adapter has "
                    + of.length);
        }
        return of[instance];
    }

    @Override
    public int engineCount(EngineType type) {
        return engines.get(java.util.Objects.requireNonNull(type, "engine")).length;
    }

    static void validate(Submission s) {
        Pasid.check(s.pasid());
        if (s.commands().isEmpty()) {
            throw new IllegalArgumentException("submission has no commands");
        }
        for (GpuCommand c : s.commands()) {
            if (c instanceof GpuCommand.Copy copy && copy.length() < 0) {
                throw new IllegalArgumentException("copy length must be >= 0, not " + copy.length());
            }
            if (c instanceof GpuCommand.Fill fill && fill.length() < 0) {
                throw new IllegalArgumentException("fill length must be >= 0, not " + fill.length());
            }
            if (c instanceof GpuCommand.FillRect r) {
                checkRect("fill rectangle", r.widthBytes(), r.height(), r.pitch());
            }
            if (c instanceof GpuCommand.Blit b) {
                checkRect("blit source", b.widthBytes(), b.height(), b.srcPitch());
                checkRect("blit destination", b.widthBytes(), b.height(), b.dstPitch());
            }
        }
    }

    private static void checkRect(String what, int width, int height, long pitch) {
        if (width < 0 || height < 0) {
            throw new IllegalArgumentException(what + ": width and height must be >= 0, not " + width + "x" + height);
        }
        if (pitch < width) {
            throw new IllegalArgumentException(what + ": pitch " + pitch + " is less than the row width " + width);
        }
    }

    @Override
    public EngineStatus status(EngineType engine, int instance) {
        return engine(engine, instance).status();
    }

    @Override
    public int resetEngine(EngineType engine) {
        try {
            int dropped = 0;
            for (Engine e : engines.get(java.util.Objects.requireNonNull(engine, "engine"))) {
                dropped += e.reset();
            }
            for (int g = 0; g < deviceTlbs.length; g++) { // a reset empties the device TLB: the unit accepts its requests again
                deviceTlbs[g].flush();
                atsPorts[g].reset();
            }
            return dropped;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while resetting engine " + engine, e);
        }
    }

    /** Adapter {@code index}'s physical GPU {@code g} sits at PCI bus {@code index}, device {@code 2 + g}, function 0. */
    static int requesterId(int index, int g) {
        return index << 8 | (2 + g) << 3;
    }

    @Override
    public int requesterId(int physicalGpu) {
        iommuUnit(physicalGpu); // checks the index
        return requesterId(index, physicalGpu);
    }

    @Override
    public DeviceTlbStats deviceTlb(int physicalGpu) {
        iommuUnit(physicalGpu); // checks the index
        if (deviceTlbs.length == 0) {
            return new DeviceTlbStats(false, 0, 0, 0, 0, 0, 0, false);
        }
        DeviceTlb t = deviceTlbs[physicalGpu];
        return new DeviceTlbStats(true, t.size(), t.hits.sum(), t.misses.sum(), t.requests.sum(), t.invalidations.sum(),
                t.timeouts.sum(), atsPorts[physicalGpu].blocked());
    }

    /** Fault injection: physical GPU {@code g} stops (or resumes) answering device-TLB invalidations. */
    public void deviceTlbUnresponsive(int physicalGpu, boolean on) {
        deviceTlbs[physicalGpu].unresponsive(on);
    }

    @Override
    public GpuStats stats() {
        long completed = 0;
        long faulted = 0;
        long dropped = 0;
        long resets = 0;
        for (Engine e : engines.values().stream().flatMap(java.util.Arrays::stream).toList()) {
            synchronized (e) {
                completed += e.completed;
                faulted += e.faulted;
                dropped += e.dropped;
                resets += e.resets;
            }
        }
        long read = 0;
        long written = 0;
        for (CommandExecutor x : executors) {
            read += x.bytesRead.sum();
            written += x.bytesWritten.sum();
        }
        return new GpuStats(completed, faulted, dropped, read, written, resets);
    }

    @Override
    public ApertureInfo aperture() {
        return aperture.info();
    }

    @Override
    public void mapAperture(long firstPage, long[] frames) {
        aperture.map(firstPage, frames.clone());
    }

    @Override
    public void unmapAperture(long firstPage, long pages) {
        aperture.unmap(firstPage, pages);
    }

    @Override
    public long apertureFrame(long page) {
        return aperture.frame(page);
    }

    @Override
    public long apertureMappedPages() {
        return aperture.mappedPages();
    }

    @Override
    public List<DisplayMode> displayModes() {
        return display.modes();
    }

    @Override
    public void setScanoutAddress(int source, long apertureAddress) {
        display.setAddress(source, apertureAddress);
    }

    @Override
    public long scanoutAddress(int source) {
        return display.address(source);
    }

    @Override
    public ScanoutFrame scanout(int source) {
        return display.scanout(source);
    }
}
