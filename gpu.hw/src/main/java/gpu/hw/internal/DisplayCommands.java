package gpu.hw.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;

import gpu.hw.DisplayMode;
import gpu.hw.GpuAdapter;
import gpu.hw.ScanoutFrame;
import shell.support.Args;

/** {@code display:modes [ADAPTER]} and {@code display:scanout FILE.png [SOURCE [ADAPTER]]}: an adapter's display controller. */
@Component(service = DisplayCommands.class, property = {"osgi.command.scope=display",
        "osgi.command.function=modes", "osgi.command.function=scanout"})
public final class DisplayCommands {
    @Reference(cardinality = ReferenceCardinality.MULTIPLE, policy = ReferencePolicy.DYNAMIC)
    private volatile List<GpuAdapter> adapters;

    @Descriptor("adapter 0's video present sources, their modes, and the aperture address each scans out")
    public String modes() {
        return modes("0");
    }

    @Descriptor("an adapter's video present sources, their modes, and the aperture address each scans out")
    public String modes(@Descriptor("adapter index, as gpu:list lists it") String adapter) {
        GpuAdapter gpu = Adapters.find(adapters, adapter);
        if (gpu.displayModes().isEmpty()) {
            return "adapter " + gpu.index() + " is render-only: it has no video present source";
        }
        StringBuilder b = new StringBuilder();
        List<DisplayMode> modes = gpu.displayModes();
        for (int i = 0; i < modes.size(); i++) {
            long address = gpu.scanoutAddress(i);
            b.append(String.format("source %d  %s  %s%n", i, modes.get(i),
                    address == 0 ? "no surface" : String.format("scanning out aperture address 0x%x", address)));
        }
        return b.toString().stripTrailing();
    }

    @Descriptor("scans out a source's current frame through the aperture and writes it as a PNG")
    public String scanout(@Descriptor("PNG file to write") String file) throws IOException {
        return scanout(file, "0");
    }

    /** Scans out a source's current frame and writes it as a PNG. */
    @Descriptor("scans out a source's current frame through the aperture and writes it as a PNG")
    public String scanout(@Descriptor("PNG file to write") String file, @Descriptor("video present source (0 = the first)") String source) throws IOException {
        return scanout(file, source, "0");
    }

    @Descriptor("scans out a source of an adapter through its aperture and writes it as a PNG")
    public String scanout(@Descriptor("PNG file to write") String file, @Descriptor("video present source (0 = the first)") String source,
                          @Descriptor("adapter index, as gpu:list lists it") String adapter) throws IOException {
        GpuAdapter gpu = Adapters.find(adapters, adapter);
        if (file == null || !file.toLowerCase(java.util.Locale.ROOT).endsWith(".png")) {
            throw new IllegalArgumentException("FILE must name a .png file, not '" + file + "'");
        }
        ScanoutFrame frame = gpu.scanout(Args.id("SOURCE", source));
        Path path = Path.of(file).toAbsolutePath();
        frame.writePng(path);
        return "wrote " + path + " (" + frame.mode().width() + "x" + frame.mode().height() + ")"
                + (frame.errors().isEmpty() ? "" : "; scanout errors: " + String.join("; ", frame.errors()));
    }
}
