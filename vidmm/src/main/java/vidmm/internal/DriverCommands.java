package vidmm.internal;

import java.util.stream.Collectors;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import vidmm.VidMm;

/**
 * {@code kmd:list}: per adapter, every kernel-mode driver present, its match score, and which one is
 * attached; {@code kmd:retry}: the drivers VidMm gave up on an adapter get another chance.
 */
@Component(service = DriverCommands.class, property = {"osgi.command.scope=kmd", "osgi.command.function=list",
        "osgi.command.function=retry"})
public final class DriverCommands {
    private final VidMm vidmm;

    @Activate
    public DriverCommands(@Reference VidMm vidmm) {
        this.vidmm = vidmm;
    }

    @Descriptor("per adapter, every kernel-mode driver: service id, name, match score, ranking, and which is attached or why refused")
    public String list() {
        var drivers = vidmm.drivers();
        if (drivers.isEmpty()) {
            return "no kernel-mode driver is present" + vidmm.adapters().stream()
                    .map(a -> "; adapter " + a.adapter() + ": " + a.reason()).collect(Collectors.joining());
        }
        return String.format("%-8s %-10s %-10s %-6s %-8s %s%n", "ADAPTER", "SERVICE", "NAME", "SCORE", "RANKING", "STATE")
                + drivers.stream().map(d -> String.format("%-8d %-10d %-10s %-6d %-8d %s", d.adapter(), d.serviceId(),
                        d.name(), d.score(), d.ranking(), d.attached() ? "attached"
                                : d.refusal() != null ? (d.score() > 0 ? "refused: " : "") + d.refusal() : "standby"))
                .collect(Collectors.joining("\n"));
    }

    @Descriptor("gives the drivers VidMm gave up on adapter 0 (TDR limit, hung DDI, failed start) another chance")
    public String retry() {
        return retry(0);
    }

    @Descriptor("gives the drivers VidMm gave up on an adapter (TDR limit, hung DDI, failed start) another chance")
    public String retry(@Descriptor("adapter index") int adapter) {
        int forgotten = vidmm.retryDrivers(adapter);
        String now = vidmm.drivers().stream().filter(d -> d.adapter() == adapter && d.attached())
                .map(d -> d.name() + " attached").findFirst()
                .orElseGet(() -> "no driver attached: " + vidmm.adapter(adapter).reason());
        return "adapter " + adapter + ": " + (forgotten == 0 ? "no driver had been given up" : forgotten
                + (forgotten == 1 ? " driver" : " drivers") + " given another chance") + "; " + now;
    }
}
