package workloads.internal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import gpu.hw.GpuAdapter;
import gpu.hw.ScanoutFrame;
import iommu.hw.Iommu;
import os.memmgr.MemoryManager;
import umd.api.UserModeDriver;

/**
 * What scenarios run on: the OS (to start and end processes), the UMD (their only way to the GPU),
 * and, for the harness only, the display to capture frames, the adapters, and the counters to report.
 */
record Machine(MemoryManager os, UserModeDriver umd, GpuAdapter display, Iommu iommu,
               java.util.function.Supplier<java.util.List<GpuAdapter>> adapters) {

    /** A machine whose one adapter is {@code display}. */
    Machine(MemoryManager os, UserModeDriver umd, GpuAdapter display, Iommu iommu) {
        this(os, umd, display, iommu, () -> java.util.List.of(display));
    }

    /** The adapter with index {@code index}, or an IllegalArgumentException naming it. */
    GpuAdapter adapter(int index) {
        return adapters.get().stream().filter(a -> a.index() == index).findFirst().orElseThrow(() ->
                new IllegalArgumentException("this machine has no adapter " + index + "; gpu:list lists the adapters"));
    }

    /**
     * "PASID n on unit u": the process's PASID on the IOMMU unit of the display adapter, the one the
     * scenarios run on (a PASID means nothing without its unit).
     */
    String pasidOnDisplay(int pid) {
        return "PASID " + pasidOn(pid, display.iommuUnit()) + " on unit " + display.iommuUnit();
    }

    /** The process's PASID on IOMMU unit {@code unit}, or 0 when it is not bound there. */
    int pasidOn(int pid, int unit) {
        return os.addressSpace(pid).pasids().getOrDefault(unit, 0);
    }

    /** Scans out a source and writes the PNG; returns the frame. */
    ScanoutFrame capture(int source, Path png) throws IOException {
        ScanoutFrame frame = display.scanout(source);
        frame.writePng(png);
        return frame;
    }

    static Path png(Map<String, String> options, String scenario) {
        return Path.of(options.getOrDefault("out", scenario + ".png")).toAbsolutePath();
    }

    static long longOption(Map<String, String> options, String key) {
        try {
            return Long.parseLong(options.get(key).trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("option " + key + " must be a whole number, not '" + options.get(key) + "'");
        }
    }

    static int intOption(Map<String, String> options, String key, int fallback, int min, int max) {
        String v = options.get(key);
        if (v == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n < min || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("option " + key + " must be a whole number " + min + ".." + max + ", not '"
                    + v + "'");
        }
    }
}
