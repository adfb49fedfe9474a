package kmd.conformance.internal;

import java.util.Arrays;

/** Byte patterns the checks write and look for. */
final class Bytes {
    private Bytes() {
    }

    static byte[] repeat(byte value, int length) {
        byte[] b = new byte[length];
        Arrays.fill(b, value);
        return b;
    }

    /** {@code length} bytes of a 32-bit little-endian pattern, as a Fill writes it. */
    static byte[] pattern(int pattern, int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (pattern >>> (8 * (i & 3)));
        }
        return b;
    }

    /** Where {@code actual} first differs from {@code expected}, or -1. */
    static int mismatch(byte[] expected, byte[] actual) {
        return Arrays.mismatch(expected, actual);
    }

    /** Fails the check unless the process memory at {@code va} holds {@code expected}. */
    static void expect(KitProcess p, long va, byte[] expected, String what) {
        expect(p.memory.read(va, expected.length), va, expected, what);
    }

    /** Fails the check unless {@code actual}, read at {@code va}, is {@code expected}. */
    static void expect(byte[] actual, long va, byte[] expected, String what) {
        int at = mismatch(expected, actual);
        CheckFailed.require(at < 0, what + ": byte at VA 0x" + Long.toHexString(va + Math.max(at, 0)) + " is 0x"
                + (at < 0 ? "" : String.format("%02x", actual[at] & 0xFF)) + ", expected 0x"
                + (at < 0 ? "" : String.format("%02x", expected[at] & 0xFF)));
    }
}
