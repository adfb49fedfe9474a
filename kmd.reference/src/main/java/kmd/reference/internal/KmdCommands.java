package kmd.reference.internal;

import java.util.Comparator;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/** {@code kmd:info}: what the reference driver was told on each adapter: processes with their PASIDs, devices, allocations. */
@Component(service = KmdCommands.class, property = {"osgi.command.scope=kmd", "osgi.command.function=info"})
public final class KmdCommands {
    private final ReferenceDriver driver;

    @Activate
    public KmdCommands(@Reference ReferenceDriver driver) {
        this.driver = driver;
    }

    @Descriptor("what the reference KMD was told on each adapter: processes with their PASIDs, devices, allocations")
    public String info() {
        StringBuilder b = new StringBuilder();
        var contexts = new java.util.ArrayList<>(driver.contexts());
        contexts.sort(Comparator.comparingInt(c -> c.adapter().index()));
        if (contexts.isEmpty()) {
            return "the reference KMD drives no adapter";
        }
        for (ReferenceKmd kmd : contexts) {
            b.append("adapter ").append(kmd.adapter().index()).append(": ").append(kmd.queryAdapterInfo().driverName())
                    .append('\n');
            kmd.processes().forEach(p -> b.append(String.format("process 0x%x pid %d PASIDs %s%n", p.handle(), p.pid(),
                    java.util.Arrays.toString(p.pasids()))));
            kmd.devices().forEach(d -> b.append(String.format("device  0x%x process 0x%x PASID %d allocations %d%n",
                    d.handle(), d.process(), d.pasid(), kmd.openedBy(d.handle()))));
        }
        return b.toString().stripTrailing();
    }
}
