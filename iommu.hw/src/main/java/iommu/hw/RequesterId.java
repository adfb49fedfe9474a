package iommu.hw;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PCI requester id: bus, device and function, what every request of a device carries and what an
 * IOMMU's own tables are indexed by (VT-d's source id: root table by bus, context table by device and
 * function; AMD-Vi's DeviceID: the device table).
 */
public record RequesterId(int bus, int device, int function) {
    private static final Pattern TEXT = Pattern.compile("([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})\\.([0-7])");

    public RequesterId {
        if (bus < 0 || bus > 255 || device < 0 || device > 31 || function < 0 || function > 7) {
            throw new IllegalArgumentException(String.format(
                    "requester id %d:%d.%d is not a PCI bus (0..255), device (0..31) and function (0..7)", bus, device, function));
        }
    }

    /** The 16-bit value: bus in bits 15:8, device in 7:3, function in 2:0. */
    public int value() {
        return bus << 8 | devfn();
    }

    /** Device and function as the context tables index them: device in bits 7:3, function in 2:0. */
    public int devfn() {
        return device << 3 | function;
    }

    public static RequesterId of(int value) {
        return new RequesterId((value >>> 8) & 0xFF, (value >>> 3) & 0x1F, value & 7);
    }

    /** Parses {@code bb:dd.f} in hex, as {@code lspci} prints it. */
    public static RequesterId parse(String text) {
        Matcher m = TEXT.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("requester id '" + text + "' is not bus:device.function in hex, such as 00:02.0");
        }
        return new RequesterId(Integer.parseInt(m.group(1), 16), Integer.parseInt(m.group(2), 16), Integer.parseInt(m.group(3)));
    }

    @Override
    public String toString() {
        return String.format("%02x:%02x.%d", bus, device, function);
    }
}
