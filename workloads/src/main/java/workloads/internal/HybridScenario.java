package workloads.internal;

import java.util.Map;

import gpu.hw.GpuAdapter;
import gpu.hw.ScanoutFrame;
import umd.api.Fence;
import umd.api.Resource;
import umd.api.UmdDevice;
import umd.api.WaitResult;

/**
 * Hybrid graphics: one process renders on the render-only adapter 1 into a shared texture, opens it
 * on adapter 0 (each adapter reaches the same frames through its own IOMMU unit, with the process's
 * PASID there), copies it to adapter 0's primary and presents it there.
 */
final class HybridScenario implements Scenario {
    static final int RENDER = 1;
    static final int DISPLAY = 0;

    @Override
    public String name() {
        return "hybrid";
    }

    @Override
    public String description() {
        return "one process renders colour bars on adapter 1 (render-only) and presents them on adapter 0 [source=N out=FILE.png keep=true]";
    }

    @Override
    public java.util.Set<String> options() {
        return java.util.Set.of("source", "out", "keep");
    }

    @Override
    public void run(Machine machine, Map<String, String> options, Report report) throws Exception {
        GpuAdapter renderer = machine.adapter(RENDER);
        GpuAdapter display = machine.adapter(DISPLAY);
        int source = Machine.intOption(options, "source", 0, 0, display.displayModes().size() - 1);
        int pid = machine.os().spawn("hybrid");
        UmdDevice render = null;
        UmdDevice show = null;
        try {
            render = machine.umd().openAdapter(pid, RENDER).createDevice();
            show = machine.umd().openAdapter(pid, DISPLAY).createDevice();
            Resource primary = show.createPrimary(source);
            int w = primary.width();
            int h = primary.height();
            Resource shared = render.createTexture2D(w, h, true);
            var bars = render.createCommandList();
            for (int i = 0; i < Pixels.BARS.length; i++) {
                int x0 = i * w / Pixels.BARS.length;
                int x1 = (i + 1) * w / Pixels.BARS.length;
                bars.fillRect(shared, x0, 0, x1 - x0, h, 0xFF000000 | Pixels.BARS[i]);
            }
            // the copy on the display adapter waits on the GPU for the render adapter's fence: the CPU does not wait
            Fence rendered = render.createFence();
            render.submit(bars);
            render.signal(rendered, 1);
            Resource opened = show.openShared(shared.sharedHandle(), w, h);
            show.waitOnGpu(rendered, 1);
            if (show.waitForFence(show.submit(show.createCommandList().blit(opened, 0, 0, primary, 0, 0, w, h)),
                    10_000) != WaitResult.COMPLETED) {
                throw new IllegalStateException("the copy on adapter " + DISPLAY + " did not complete");
            }
            if (rendered.completedValue() != 1) {
                throw new IllegalStateException("the copy ran before adapter " + RENDER + "'s fence reached 1");
            }
            show.present(primary);
            var png = Machine.png(options, name());
            ScanoutFrame frame = machine.capture(source, png);
            report.sample(machine.os().frames());
            var pasids = machine.os().addressSpace(pid).pasids();
            report.add("process " + pid + " rendered on adapter " + RENDER + " (" + renderer.identity() + ", IOMMU unit "
                    + renderer.iommuUnit() + ", PASID " + pasids.get(renderer.iommuUnit()) + ") into shared texture 0x"
                    + Long.toHexString(shared.sharedHandle()) + ", presented on adapter " + DISPLAY + " ("
                    + display.identity() + ", IOMMU unit " + display.iommuUnit() + ", PASID "
                    + pasids.get(display.iommuUnit()) + ") at VA 0x" + Long.toHexString(opened.va()) + ", source " + source);
            report.add("the copy on adapter " + DISPLAY + " waited on the GPU for adapter " + RENDER
                    + "'s fence 0x" + Long.toHexString(rendered.handle()) + " (value " + rendered.completedValue() + ")");
            long wrong = wrongPixels(frame, w, h);
            report.add("wrote " + png + "; " + (wrong == 0 ? "every pixel verified" : wrong + " pixels differ from the bars")
                    + (frame.errors().isEmpty() ? "" : "; scanout errors " + frame.errors()));
        } finally {
            if (render != null && !Cpu.keep(options)) {
                render.close();
            }
            Cpu.exit(machine, pid, show, options);
        }
    }

    /** Pixels of the scanned-out frame that are not the colour bars. */
    private static long wrongPixels(ScanoutFrame frame, int w, int h) {
        long wrong = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if ((frame.pixel(x, y) & 0xFFFFFF) != Pixels.bar(x, w)) {
                    wrong++;
                }
            }
        }
        return wrong;
    }
}
