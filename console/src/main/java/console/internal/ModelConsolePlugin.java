package console.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import jakarta.servlet.Servlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;

import gpu.hw.GpuAdapter;
import iommu.hw.Iommu;
import os.memmgr.MemoryManager;
import vidmm.VidMm;

/**
 * The model's page in the Felix Web Console, {@code /system/console/iommu-model}: a plain servlet
 * registered with {@code felix.webconsole.label}, so the console draws its header and navigation
 * around the HTML, and passes {@code iommu-model/frame/A/N.png} (not HTML) straight through: the
 * frame source N of adapter A scans out now, as a PNG, and {@code iommu-model/charts.part}, the charts
 * alone. Every adapter and every IOMMU unit of the machine is on the page, with {@code ?pid=N} that
 * process's address-space map, and with {@code &va=0x...} the page walk of that address; it reloads
 * its frames every second and its charts every two.
 */
@Component(service = Servlet.class, property = {
        "felix.webconsole.label=iommu-model",
        "felix.webconsole.title=IoMmu model",
        "felix.webconsole.category=Model"})
public final class ModelConsolePlugin extends HttpServlet {
    private static final long serialVersionUID = 1L;
    private static final Pattern FRAME = Pattern.compile(".*/frame/(\\d{1,2})/(\\d{1,3})\\.png$");

    private final transient ModelPage page;
    private final transient List<GpuAdapter> gpus;
    private final transient Samples samples;

    @Activate
    public ModelConsolePlugin(@Reference MemoryManager os, @Reference VidMm vidmm,
                              @Reference(cardinality = ReferenceCardinality.AT_LEAST_ONE) List<Iommu> units,
                              @Reference(cardinality = ReferenceCardinality.AT_LEAST_ONE) List<GpuAdapter> gpus,
                              @Reference Samples samples) {
        this.gpus = sorted(gpus, GpuAdapter::index);
        this.samples = samples;
        this.page = new ModelPage(os, vidmm, sorted(units, Iommu::unit), this.gpus, samples);
    }

    private static <T> List<T> sorted(List<T> services, java.util.function.ToIntFunction<T> by) {
        List<T> list = new java.util.ArrayList<>(services);
        list.sort(java.util.Comparator.comparingInt(by));
        return List.copyOf(list);
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getRequestURI();
        if (path.endsWith("/iommu-model/charts.part")) { // the charts alone (an extension: the console adds no header)
            response.setContentType("text/html");
            response.setCharacterEncoding(StandardCharsets.UTF_8.name());
            response.setHeader("Cache-Control", "no-store");
            response.getWriter().write(Charts.html(samples));
            return;
        }
        Matcher frame = FRAME.matcher(path);
        if (frame.matches()) {
            int adapter = Integer.parseInt(frame.group(1));
            int source = Integer.parseInt(frame.group(2));
            GpuAdapter gpu = gpus.stream().filter(g -> g.index() == adapter).findFirst().orElse(null);
            if (gpu == null || source >= gpu.displayModes().size()) {
                response.sendError(HttpServletResponse.SC_NOT_FOUND, "adapter " + adapter + " has no video present source "
                        + source);
                return;
            }
            ByteArrayOutputStream png = new ByteArrayOutputStream();
            gpu.scanout(source).writePng(png);
            response.setContentType("image/png");
            response.setHeader("Cache-Control", "no-store");
            response.setContentLength(png.size());
            png.writeTo(response.getOutputStream());
            return;
        }
        response.setContentType("text/html");
        response.setCharacterEncoding(StandardCharsets.UTF_8.name());
        Integer pid = null;
        String asked = request.getParameter("pid");
        if (asked != null) {
            try {
                pid = Integer.valueOf(asked.trim());
            } catch (NumberFormatException e) {
                response.sendError(HttpServletResponse.SC_BAD_REQUEST, "pid '" + asked + "' is not a number");
                return;
            }
        }
        Long va = null;
        String address = request.getParameter("va");
        if (address != null && !address.isBlank()) {
            try {
                va = shell.support.Args.address("VA", address.trim());
            } catch (IllegalArgumentException e) {
                response.sendError(HttpServletResponse.SC_BAD_REQUEST, e.getMessage());
                return;
            }
        }
        response.getWriter().write(page.html(pid, va));
    }
}
