package gpu.hw.internal;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import gpu.hw.EngineType;
import gpu.hw.GpuAdapter;
import gpu.hw.GpuStats;

/** {@code gpu:info}: the adapter's identity, engines and counters. */
@Component(service = GpuCommands.class, property = {"osgi.command.scope=gpu", "osgi.command.function=info"})
public final class GpuCommands {
    private final GpuAdapter gpu;

    @Activate
    public GpuCommands(@Reference GpuAdapter gpu) {
        this.gpu = gpu;
    }

    @Descriptor("the adapter's PCI identity, engine states, submissions and bytes moved")
    public String info() {
        StringBuilder b = new StringBuilder("adapter  ").append(gpu.identity()).append('\n');
        for (EngineType e : EngineType.values()) {
            b.append(String.format("engine   %-7s %s%n", e, gpu.status(e)));
        }
        GpuStats s = gpu.stats();
        return b.append(String.format("submissions completed %d, faulted %d, dropped %d; engine resets %d%n"
                        + "bytes read %d, written %d", s.submissionsCompleted(), s.submissionsFaulted(),
                s.submissionsDropped(), s.engineResets(), s.bytesRead(), s.bytesWritten())).toString();
    }
}
