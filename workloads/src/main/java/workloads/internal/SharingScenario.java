package workloads.internal;

import java.util.Map;

import umd.api.Resource;
import umd.api.UmdDevice;
import umd.api.WaitResult;

/** Process A renders into a shared texture; process B opens it by handle, copies it to its primary and presents. */
final class SharingScenario implements Scenario {
    @Override
    public String name() {
        return "sharing";
    }

    @Override
    public String description() {
        return "process A renders four quadrants into a shared texture, process B opens it by handle and presents it [out=FILE.png keep=true]";
    }

    @Override
    public java.util.Set<String> options() {
        return java.util.Set.of("out", "keep");
    }

    @Override
    public void run(Machine machine, Map<String, String> options, Report report) throws Exception {
        int a = machine.os().spawn("producer");
        int b = machine.os().spawn("consumer");
        UmdDevice producer = null;
        UmdDevice consumer = null;
        try {
            producer = machine.umd().createDevice(a);
            consumer = machine.umd().createDevice(b);
            Resource primary = consumer.createPrimary(0);
            int w = primary.width();
            int h = primary.height();
            Resource shared = producer.createTexture2D(w, h, true);
            var draw = producer.createCommandList()
                    .fillRect(shared, 0, 0, w / 2, h / 2, 0xFF000000 | Pixels.quadrant(0, 0, w, h))
                    .fillRect(shared, w / 2, 0, w - w / 2, h / 2, 0xFF000000 | Pixels.quadrant(w - 1, 0, w, h))
                    .fillRect(shared, 0, h / 2, w / 2, h - h / 2, 0xFF000000 | Pixels.quadrant(0, h - 1, w, h))
                    .fillRect(shared, w / 2, h / 2, w - w / 2, h - h / 2, 0xFF000000 | Pixels.quadrant(w - 1, h - 1, w, h));
            if (producer.waitForFence(producer.submit(draw), 10_000) != WaitResult.COMPLETED) {
                throw new IllegalStateException("the producer's rendering did not complete");
            }
            Resource opened = consumer.openShared(shared.sharedHandle(), w, h);
            if (consumer.waitForFence(consumer.submit(consumer.createCommandList().blit(opened, 0, 0, primary, 0, 0, w, h)),
                    10_000) != WaitResult.COMPLETED) {
                throw new IllegalStateException("the consumer's copy did not complete");
            }
            consumer.present(primary);
            var png = Machine.png(options, name());
            var frame = machine.capture(0, png);
            report.sample(machine.os().frames());
            report.add("producer " + a + " (" + machine.pasidOnDisplay(a) + ") shared handle 0x"
                    + Long.toHexString(shared.sharedHandle()) + " -> consumer " + b + " ("
                    + machine.pasidOnDisplay(b) + ") at VA 0x" + Long.toHexString(opened.va())
                    + "; 3 allocations (shared texture, its view in B, B's primary)");
            report.add("wrote " + png + (frame.errors().isEmpty() ? "" : " with scanout errors " + frame.errors()));
        } finally {
            Cpu.exit(machine, b, consumer, options);
            Cpu.exit(machine, a, producer, options);
        }
    }
}
