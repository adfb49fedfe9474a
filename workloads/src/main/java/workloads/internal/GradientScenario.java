package workloads.internal;

import java.util.Map;

import umd.api.CommandList;
import umd.api.Resource;
import umd.api.UmdDevice;
import umd.api.WaitResult;

/** The CPU writes the top half of a primary, the GPU fills the bottom half, and it is presented. */
final class GradientScenario implements Scenario {
    @Override
    public String name() {
        return "gradient";
    }

    @Override
    public String description() {
        return "CPU draws the top half of a primary, the GPU the bottom half; presented and scanned out [out=FILE.png keep=true]";
    }

    @Override
    public java.util.Set<String> options() {
        return java.util.Set.of("out", "keep");
    }

    @Override
    public void run(Machine machine, Map<String, String> options, Report report) throws Exception {
        int pid = machine.os().spawn("gradient");
        UmdDevice device = null;
        try {
            device = machine.umd().createDevice(pid);
            Resource primary = device.createPrimary(0);
            int w = primary.width();
            int h = primary.height();
            long va = device.lock(primary);
            byte[] row = new byte[primary.pitch()];
            for (int y = 0; y < h / 2; y++) {
                for (int x = 0; x < w; x++) {
                    Pixels.put(row, x, Pixels.gradientTop(x, y, w, h));
                }
                Cpu.write(machine, pid, va + (long) y * primary.pitch(), row);
            }
            device.unlock(primary);
            CommandList gpu = device.createCommandList();
            for (int y = h / 2; y < h; y++) {
                gpu.fillRect(primary, 0, y, w, 1, 0xFF000000 | Pixels.gradientBottom(y, h));
            }
            if (device.waitForFence(device.submit(gpu), 10_000) != WaitResult.COMPLETED) {
                throw new IllegalStateException("the GPU half did not complete");
            }
            device.present(primary);
            var png = Machine.png(options, name());
            var frame = machine.capture(0, png);
            report.sample(machine.os().frames());
            report.add("process " + pid + " " + machine.pasidOnDisplay(pid) + ": primary " + w + "x" + h
                    + ", top half by the CPU, bottom half by " + (h - h / 2) + " GPU row fills; 1 allocation (the primary)");
            report.add("wrote " + png + (frame.errors().isEmpty() ? "" : " with scanout errors " + frame.errors()));
        } finally {
            Cpu.exit(machine, pid, device, options);
        }
    }
}
