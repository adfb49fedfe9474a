package gpu.hw;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The byte layout of a command buffer in memory, as an engine's command processor fetches it: a
 * sequence of packets, each an 8-byte header and its payload, every field little-endian.
 *
 * <pre>
 * header   bytes 0-1  opcode          bytes 2-3  0 (reserved)     bytes 4-7  packet length in bytes
 *                                                                            (header included, a multiple of 8)
 * FILL       0x0001  length 32  8-15 dstVa      16-23 length     24-27 pattern    28-31 0
 * COPY       0x0002  length 32  8-15 srcVa      16-23 dstVa      24-31 length
 * FILL_RECT  0x0003  length 40  8-15 dstVa      16-23 pitch      24-27 widthBytes 28-31 height  32-35 pattern 36-39 0
 * BLIT       0x0004  length 48  8-15 srcVa      16-23 srcPitch   24-31 dstVa      32-39 dstPitch
 *                               40-43 widthBytes 44-47 height
 * WRITE_FENCE 0x0005 length 24  8-15 va         16-23 value
 * WAIT_FENCE  0x0006 length 24  8-15 va         16-23 value (waits until the 64-bit value at va is at least this)
 * </pre>
 *
 * A reserved field that is not 0, an unknown opcode, a length other than its opcode's, or a packet
 * that runs past the buffer makes the whole buffer invalid: {@link #decode} names the offset and what
 * is wrong, and the engine executes none of it.
 */
public final class CommandPackets {
    public static final int HEADER_BYTES = 8;
    public static final int FILL = 0x0001;
    public static final int COPY = 0x0002;
    public static final int FILL_RECT = 0x0003;
    public static final int BLIT = 0x0004;
    public static final int WRITE_FENCE = 0x0005;
    public static final int WAIT_FENCE = 0x0006;

    private CommandPackets() {
    }

    /** The packet length in bytes of {@code opcode}, or -1 for an opcode the engines do not know. */
    public static int length(int opcode) {
        return switch (opcode) {
            case FILL, COPY -> 32;
            case FILL_RECT -> 40;
            case BLIT -> 48;
            case WRITE_FENCE, WAIT_FENCE -> 24;
            default -> -1;
        };
    }

    /** The packet length in bytes of {@code command}. */
    public static int length(GpuCommand command) {
        return length(opcode(command));
    }

    /** The bytes of {@code commands} as packets, in order. */
    public static byte[] encode(List<GpuCommand> commands) {
        int size = 0;
        for (GpuCommand c : commands) {
            size += length(c);
        }
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        for (GpuCommand c : commands) {
            int opcode = opcode(c);
            b.putShort((short) opcode).putShort((short) 0).putInt(length(opcode));
            if (c instanceof GpuCommand.Fill f) {
                b.putLong(f.dstVa()).putLong(f.length()).putInt(f.pattern()).putInt(0);
            } else if (c instanceof GpuCommand.Copy x) {
                b.putLong(x.srcVa()).putLong(x.dstVa()).putLong(x.length());
            } else if (c instanceof GpuCommand.FillRect r) {
                b.putLong(r.dstVa()).putLong(r.pitch()).putInt(r.widthBytes()).putInt(r.height()).putInt(r.pattern()).putInt(0);
            } else if (c instanceof GpuCommand.Blit t) {
                b.putLong(t.srcVa()).putLong(t.srcPitch()).putLong(t.dstVa()).putLong(t.dstPitch()).putInt(t.widthBytes())
                        .putInt(t.height());
            } else if (c instanceof GpuCommand.WriteFence w) {
                b.putLong(w.va()).putLong(w.value());
            } else {
                GpuCommand.WaitFence w = (GpuCommand.WaitFence) c;
                b.putLong(w.va()).putLong(w.value());
            }
        }
        return b.array();
    }

    private static int opcode(GpuCommand c) {
        if (c instanceof GpuCommand.Fill) {
            return FILL;
        }
        if (c instanceof GpuCommand.Copy) {
            return COPY;
        }
        if (c instanceof GpuCommand.FillRect) {
            return FILL_RECT;
        }
        if (c instanceof GpuCommand.Blit) {
            return BLIT;
        }
        if (c instanceof GpuCommand.WriteFence) {
            return WRITE_FENCE;
        }
        return WAIT_FENCE;
    }

    /** A command buffer that is not a sequence of valid packets: {@code offset} is where the bad packet starts. */
    public static final class InvalidPacketException extends IllegalArgumentException {
        private final int offset;

        public InvalidPacketException(int offset, String what) {
            super("command buffer byte " + offset + ": " + what);
            this.offset = offset;
        }

        public int offset() {
            return offset;
        }
    }

    /**
     * The commands in {@code buffer}, in order.
     *
     * @throws InvalidPacketException naming the offset and what is wrong, for a buffer that is not a
     *                                sequence of valid packets
     */
    public static List<GpuCommand> decode(byte[] buffer) {
        ByteBuffer b = ByteBuffer.wrap(buffer).order(ByteOrder.LITTLE_ENDIAN);
        List<GpuCommand> commands = new ArrayList<>();
        int at = 0;
        while (at < buffer.length) {
            if (buffer.length - at < HEADER_BYTES) {
                throw new InvalidPacketException(at, "a packet header needs 8 bytes, " + (buffer.length - at) + " are left");
            }
            int opcode = Short.toUnsignedInt(b.getShort(at));
            int reserved = Short.toUnsignedInt(b.getShort(at + 2));
            int length = b.getInt(at + 4);
            int expected = length(opcode);
            if (expected < 0) {
                throw new InvalidPacketException(at, String.format("unknown opcode 0x%04x", opcode));
            }
            if (reserved != 0) {
                throw new InvalidPacketException(at, String.format("reserved header bytes 2-3 are 0x%04x, not 0", reserved));
            }
            if (length != expected) {
                throw new InvalidPacketException(at, String.format("opcode 0x%04x has length %d, not %d", opcode, expected,
                        length));
            }
            if (buffer.length - at < length) {
                throw new InvalidPacketException(at, "the packet's " + length + " bytes run past the buffer's end ("
                        + (buffer.length - at) + " left)");
            }
            commands.add(packet(b, at, opcode));
            at += length;
        }
        return commands;
    }

    private static GpuCommand packet(ByteBuffer b, int at, int opcode) {
        int p = at + HEADER_BYTES;
        switch (opcode) {
            case FILL -> {
                reserved(b, at, p + 20);
                return new GpuCommand.Fill(b.getLong(p), b.getLong(p + 8), b.getInt(p + 16));
            }
            case COPY -> {
                return new GpuCommand.Copy(b.getLong(p), b.getLong(p + 8), b.getLong(p + 16));
            }
            case FILL_RECT -> {
                reserved(b, at, p + 28);
                return new GpuCommand.FillRect(b.getLong(p), b.getLong(p + 8), b.getInt(p + 16), b.getInt(p + 20),
                        b.getInt(p + 24));
            }
            case BLIT -> {
                return new GpuCommand.Blit(b.getLong(p), b.getLong(p + 8), b.getLong(p + 16), b.getLong(p + 24),
                        b.getInt(p + 32), b.getInt(p + 36));
            }
            case WRITE_FENCE -> {
                return new GpuCommand.WriteFence(b.getLong(p), b.getLong(p + 8));
            }
            default -> {
                return new GpuCommand.WaitFence(b.getLong(p), b.getLong(p + 8));
            }
        }
    }

    private static void reserved(ByteBuffer b, int at, int field) {
        if (b.getInt(field) != 0) {
            throw new InvalidPacketException(at, "reserved bytes " + (field - at) + "-" + (field - at + 3) + " are not 0");
        }
    }
}
