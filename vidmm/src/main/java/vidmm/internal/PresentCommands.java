package vidmm.internal;

import vidmm.ApertureMapping;


import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import shell.support.Args;
import vidmm.VidMm;

/** {@code display:present DEVICE ALLOCATION [SOURCE]}: displays a primary. */
@Component(service = PresentCommands.class, property = {"osgi.command.scope=display", "osgi.command.function=present"})
public final class PresentCommands {
    private final VidMm vidmm;

    @Activate
    public PresentCommands(@Reference VidMm vidmm) {
        this.vidmm = vidmm;
    }

    @Descriptor("displays a PRIMARY allocation: pin, MapApertureSegment, SetVidPnSourceAddress")
    public String present(@Descriptor("device handle, as vidmm:device printed it") String device, @Descriptor("allocation handle, as vidmm:alloc printed it") String allocation) {
        return present(device, allocation, "0");
    }

    @Descriptor("displays a PRIMARY allocation: pin, MapApertureSegment, SetVidPnSourceAddress")
    public String present(@Descriptor("device handle, as vidmm:device printed it") String device, @Descriptor("allocation handle, as vidmm:alloc printed it") String allocation, @Descriptor("video present source (0 = the first)") String source) {
        int s = Args.id("SOURCE", source);
        vidmm.present(Args.number("DEVICE", device), Args.number("ALLOCATION", allocation), s);
        ApertureMapping m = vidmm.apertureMappings().stream().filter(x -> x.source() == s).findFirst().orElseThrow();
        return String.format("source %d shows allocation 0x%x from aperture page %d (%d pages)", s, m.allocation(),
                m.firstPage(), m.pages());
    }
}
