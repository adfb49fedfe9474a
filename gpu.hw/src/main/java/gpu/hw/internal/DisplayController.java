package gpu.hw.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;

import gpu.hw.DisplayMode;
import gpu.hw.ScanoutFrame;
import iommu.hw.SystemMemory;

/**
 * Video present sources that scan out a surface by aperture address: each row is read through the
 * GART from system memory by physical address. Never through a PASID.
 */
final class DisplayController {
    private final List<DisplayMode> modes;
    private final AtomicLongArray addresses;
    private final Aperture aperture;
    private final SystemMemory memory;

    DisplayController(List<DisplayMode> modes, Aperture aperture, SystemMemory memory) {
        this.modes = List.copyOf(modes);
        this.addresses = new AtomicLongArray(modes.size());
        this.aperture = aperture;
        this.memory = memory;
    }

    List<DisplayMode> modes() {
        return modes;
    }

    private void checkSource(int source) {
        if (source < 0 || source >= modes.size()) {
            throw new IllegalArgumentException("video present source " + source + " does not exist; sources are 0.."
                    + (modes.size() - 1));
        }
    }

    void setAddress(int source, long address) {
        checkSource(source);
        if (address != 0 && ((address & 0xFFF) != 0 || aperture.pageOf(address) < 0)) {
            throw new IllegalArgumentException(String.format(
                    "scanout address 0x%x is not a page-aligned address inside the aperture 0x%x..0x%x", address,
                    Aperture.BASE, Aperture.BASE + aperture.info().size()));
        }
        addresses.set(source, address);
    }

    long address(int source) {
        checkSource(source);
        return addresses.get(source);
    }

    ScanoutFrame scanout(int source) {
        checkSource(source);
        DisplayMode mode = modes.get(source);
        long base = addresses.get(source);
        int[] rgb = new int[mode.width() * mode.height()];
        List<String> errors = new ArrayList<>();
        if (base == 0) {
            errors.add("source " + source + " shows no surface");
            return new ScanoutFrame(source, mode, 0, rgb, errors);
        }
        byte[] row = new byte[mode.width() * 4];
        long reportedPage = -1;
        for (int y = 0; y < mode.height(); y++) {
            long rowAddress = base + (long) y * mode.pitch();
            int done = 0;
            while (done < row.length) {
                long address = rowAddress + done;
                int n = (int) Math.min(row.length - done, 4096 - (address & 0xFFF));
                long page = aperture.pageOf(address);
                if (page < 0 || !aperture.mapped(page)) {
                    if (page != reportedPage) {
                        errors.add(page < 0 ? String.format("address 0x%x is outside the aperture", address)
                                : String.format("aperture page %d (address 0x%x) is not mapped", page, address & ~0xFFFL));
                        reportedPage = page;
                    }
                    java.util.Arrays.fill(row, done, done + n, (byte) 0);
                } else {
                    memory.read((aperture.frame(page) << 12) + (address & 0xFFF), row, done, n);
                }
                done += n;
            }
            for (int x = 0; x < mode.width(); x++) {
                int b = row[4 * x] & 0xFF;
                int g = row[4 * x + 1] & 0xFF;
                int r = row[4 * x + 2] & 0xFF;
                rgb[y * mode.width() + x] = (r << 16) | (g << 8) | b;
            }
        }
        return new ScanoutFrame(source, mode, base, rgb, errors);
    }
}
