package vidmm.internal;

import java.util.List;
import java.util.stream.Collectors;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import vidmm.ApertureMapping;
import vidmm.VidMm;

/**
 * {@code vidmm:aperture}: aperture pages in use and the allocation each belongs to: VidMm's
 * bookkeeping of what it mapped (the GART itself is the GPU's: {@code display:modes} shows what
 * each source scans out).
 */
@Component(service = ApertureCommands.class, property = {"osgi.command.scope=vidmm", "osgi.command.function=aperture"})
public final class ApertureCommands {
    private final VidMm vidmm;

    @Activate
    public ApertureCommands(@Reference VidMm vidmm) {
        this.vidmm = vidmm;
    }

    @Descriptor("aperture pages VidMm mapped, on every adapter, and the allocation each belongs to")
    public String aperture() {
        List<ApertureMapping> list = vidmm.apertureMappings();
        if (list.isEmpty()) {
            return "no aperture page is mapped (every page points at the dummy page)";
        }
        return list.stream().map(m -> String.format("adapter %d pages %d..%d -> allocation 0x%x of pid %d (source %d), frames 0x%x..",
                m.adapter(), m.firstPage(), m.firstPage() + m.pages() - 1, m.allocation(), m.pid(), m.source(), m.frames()[0]))
                .collect(Collectors.joining("\n"));
    }
}
