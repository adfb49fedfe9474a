package gpu.hw.internal;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import gpu.hw.GpuAdapter;
import shell.support.Args;

/** Finds an adapter by the index a shell user typed. */
final class Adapters {
    private Adapters() {
    }

    static GpuAdapter find(List<GpuAdapter> adapters, String text) {
        int index = Args.id("ADAPTER", text);
        for (GpuAdapter a : adapters) {
            if (a.index() == index) {
                return a;
            }
        }
        throw new IllegalArgumentException("ADAPTER " + index + " does not exist; gpu:list lists the adapters");
    }

    static List<GpuAdapter> sorted(List<GpuAdapter> adapters) {
        List<GpuAdapter> list = new ArrayList<>(adapters);
        list.sort(Comparator.comparingInt(GpuAdapter::index));
        return list;
    }
}
