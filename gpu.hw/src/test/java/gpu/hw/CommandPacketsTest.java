package gpu.hw;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

/**
 * The command packet format, field by field as {@link CommandPackets} documents it, and every way a
 * buffer can be invalid, each refused with the offset of the bad packet.
 */
class CommandPacketsTest {
    static ByteBuffer le(byte[] b) {
        return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void eachPacketHasItsDocumentedLayout() {
        ByteBuffer fill = le(CommandPackets.encode(List.of(new GpuCommand.Fill(0x1122334455L, 0x1000, 0xAABBCCDD))));
        assertEquals(32, fill.capacity());
        assertEquals(CommandPackets.FILL, fill.getShort(0));
        assertEquals(0, fill.getShort(2), "reserved header bytes 2-3");
        assertEquals(32, fill.getInt(4), "header bytes 4-7: the packet's length");
        assertEquals(0x1122334455L, fill.getLong(8), "bytes 8-15: dstVa");
        assertEquals(0x1000, fill.getLong(16), "bytes 16-23: length");
        assertEquals(0xAABBCCDD, fill.getInt(24), "bytes 24-27: pattern");
        assertEquals(0, fill.getInt(28), "bytes 28-31: reserved");

        ByteBuffer copy = le(CommandPackets.encode(List.of(new GpuCommand.Copy(0x10000, 0x20000, 777))));
        assertEquals(CommandPackets.COPY, copy.getShort(0));
        assertEquals(32, copy.getInt(4));
        assertEquals(0x10000, copy.getLong(8));
        assertEquals(0x20000, copy.getLong(16));
        assertEquals(777, copy.getLong(24));

        ByteBuffer rect = le(CommandPackets.encode(List.of(new GpuCommand.FillRect(0x30000, 1280, 256, 48, 7))));
        assertEquals(CommandPackets.FILL_RECT, rect.getShort(0));
        assertEquals(40, rect.getInt(4));
        assertEquals(0x30000, rect.getLong(8));
        assertEquals(1280, rect.getLong(16));
        assertEquals(256, rect.getInt(24));
        assertEquals(48, rect.getInt(28));
        assertEquals(7, rect.getInt(32));

        ByteBuffer blit = le(CommandPackets.encode(List.of(new GpuCommand.Blit(0x1000, 64, 0x9000, 128, 32, 5))));
        assertEquals(CommandPackets.BLIT, blit.getShort(0));
        assertEquals(48, blit.getInt(4));
        assertEquals(0x1000, blit.getLong(8));
        assertEquals(64, blit.getLong(16));
        assertEquals(0x9000, blit.getLong(24));
        assertEquals(128, blit.getLong(32));
        assertEquals(32, blit.getInt(40));
        assertEquals(5, blit.getInt(44));

        ByteBuffer fence = le(CommandPackets.encode(List.of(new GpuCommand.WriteFence(0x5000, 0x0102030405060708L))));
        assertEquals(CommandPackets.WRITE_FENCE, fence.getShort(0));
        assertEquals(24, fence.getInt(4));
        assertEquals(0x5000, fence.getLong(8));
        assertEquals(0x0102030405060708L, fence.getLong(16));

        ByteBuffer wait = le(CommandPackets.encode(List.of(new GpuCommand.WaitFence(0x6000, 0x1112131415161718L))));
        assertEquals(CommandPackets.WAIT_FENCE, wait.getShort(0));
        assertEquals(24, wait.getInt(4));
        assertEquals(0x6000, wait.getLong(8), "bytes 8-15: va");
        assertEquals(0x1112131415161718L, wait.getLong(16), "bytes 16-23: value");
    }

    @Test
    void seededRandomCommandListsSurviveEncodeAndDecode() {
        long seed = Long.getLong("packets.seed", System.nanoTime());
        Random r = new Random(seed);
        for (int round = 0; round < 200; round++) {
            List<GpuCommand> commands = new java.util.ArrayList<>();
            for (int i = r.nextInt(8) + 1; i > 0; i--) {
                commands.add(switch (r.nextInt(6)) {
                    case 0 -> new GpuCommand.Fill(r.nextLong(), r.nextLong(), r.nextInt());
                    case 1 -> new GpuCommand.Copy(r.nextLong(), r.nextLong(), r.nextLong());
                    case 2 -> new GpuCommand.FillRect(r.nextLong(), r.nextLong(), r.nextInt(), r.nextInt(), r.nextInt());
                    case 3 -> new GpuCommand.Blit(r.nextLong(), r.nextLong(), r.nextLong(), r.nextLong(), r.nextInt(), r.nextInt());
                    case 5 -> new GpuCommand.WaitFence(r.nextLong(), r.nextLong());
                    default -> new GpuCommand.WriteFence(r.nextLong(), r.nextLong());
                });
            }
            assertEquals(commands, CommandPackets.decode(CommandPackets.encode(commands)), "seed " + seed);
        }
    }

    static int refusedAt(byte[] buffer, String what) {
        CommandPackets.InvalidPacketException e = assertThrows(CommandPackets.InvalidPacketException.class,
                () -> CommandPackets.decode(buffer));
        assertTrue(e.getMessage().contains(what), e.getMessage());
        return e.offset();
    }

    @Test
    void anInvalidBufferIsRefusedNamingTheOffsetOfItsBadPacket() {
        byte[] two = CommandPackets.encode(List.of(new GpuCommand.WriteFence(0x5000, 1), new GpuCommand.Fill(0x6000, 8, 1)));
        byte[] unknown = two.clone();
        le(unknown).putShort(24, (short) 0x0077);
        assertEquals(24, refusedAt(unknown, "unknown opcode 0x0077"));
        byte[] reservedHeader = two.clone();
        le(reservedHeader).putShort(2, (short) 1);
        assertEquals(0, refusedAt(reservedHeader, "reserved header bytes 2-3"));
        byte[] wrongLength = two.clone();
        le(wrongLength).putInt(28, 40);
        assertEquals(24, refusedAt(wrongLength, "opcode 0x0001 has length 32, not 40"));
        byte[] reservedPayload = two.clone();
        le(reservedPayload).putInt(24 + 28, 9);
        assertEquals(24, refusedAt(reservedPayload, "reserved bytes 28-31"));
        assertEquals(24, refusedAt(java.util.Arrays.copyOf(two, 40), "run past the buffer's end"));
        assertEquals(24, refusedAt(java.util.Arrays.copyOf(two, 28), "a packet header needs 8 bytes, 4 are left"));
        assertArrayEquals(new Object[0], CommandPackets.decode(new byte[0]).toArray(), "an empty buffer has no commands");
    }
}
