package shell.support;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Locale;

/**
 * Parsers for shell arguments. Each throws {@link IllegalArgumentException} whose message names
 * the argument and the text that was wrong.
 */
public final class Args {
    private Args() {
    }

    /**
     * A 64-bit number: decimal, or hex with {@code 0x}; sizes may end in {@code K}, {@code M} or
     * {@code G} (binary units).
     */
    public static long number(String name, String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException(name + " is missing");
        }
        String t = text.trim().toLowerCase(Locale.ROOT).replace("_", "");
        try {
            if (t.startsWith("0x")) {
                return Long.parseUnsignedLong(t.substring(2), 16);
            }
            long unit = 1;
            char last = t.charAt(t.length() - 1);
            if (last == 'k' || last == 'm' || last == 'g') {
                unit = last == 'k' ? 1L << 10 : last == 'm' ? 1L << 20 : 1L << 30;
                t = t.substring(0, t.length() - 1);
            }
            return Math.multiplyExact(Long.parseLong(t), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException(name + " must be a number (decimal, 0x hex, or with K/M/G), not '"
                    + text + "'");
        }
    }

    /** A virtual or physical address. */
    public static long address(String name, String text) {
        return number(name, text);
    }

    /** A positive size in bytes, at most {@code max}. */
    public static long size(String name, String text, long max) {
        long n = number(name, text);
        if (n <= 0 || n > max) {
            throw new IllegalArgumentException(name + " must be 1.." + max + " bytes, not " + text);
        }
        return n;
    }

    /** A non-negative int identifier such as a pid or PASID. */
    public static int id(String name, String text) {
        long n = number(name, text);
        if (n < 0 || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + " must be a non-negative integer, not '" + text + "'");
        }
        return (int) n;
    }

    /** Data to write: {@code hex:0a0b...} for raw bytes, otherwise the UTF-8 bytes of the text. */
    public static byte[] data(String name, String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException(name + " is empty");
        }
        if (text.startsWith("hex:")) {
            try {
                byte[] bytes = HexFormat.of().parseHex(text.substring(4));
                if (bytes.length == 0) {
                    throw new IllegalArgumentException(name + " has no bytes after 'hex:'");
                }
                return bytes;
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + " must be an even number of hex digits after 'hex:', not '"
                        + text.substring(4) + "'");
            }
        }
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** A classic hex dump: address, 16 bytes in hex, and their printable characters. */
    public static String hexDump(long address, byte[] bytes) {
        StringBuilder b = new StringBuilder();
        for (int row = 0; row < bytes.length; row += 16) {
            b.append(String.format("0x%012x ", address + row));
            StringBuilder text = new StringBuilder();
            for (int i = row; i < row + 16; i++) {
                if (i < bytes.length) {
                    b.append(String.format(" %02x", bytes[i]));
                    text.append(bytes[i] >= 0x20 && bytes[i] < 0x7f ? (char) bytes[i] : '.');
                } else {
                    b.append("   ");
                }
            }
            b.append("  |").append(text).append("|\n");
        }
        return b.toString();
    }
}
