package iommu.hw.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LazySystemMemoryTest {
    LazySystemMemory memory = new LazySystemMemory(1L << 30);

    @Test
    void framesTakeHostMemoryOnlyWhenWritten() {
        assertEquals(262144, memory.frameCount());
        assertEquals(0, memory.touchedFrames());
        byte[] buffer = new byte[100];
        memory.read(0x1234_0000L, buffer, 0, 100);
        assertArrayEquals(new byte[100], buffer);
        assertEquals(0, memory.touchedFrames(), "reads do not allocate");
        assertEquals(0, memory.hostBytes());
        memory.write(0x1000 - 2, new byte[] {1, 2, 3, 4}, 0, 4);
        assertEquals(2, memory.touchedFrames(), "a write across a frame boundary touches two frames");
        assertEquals(64 * 1024, memory.hostBytes(), "both frames are in the first 64 KiB bank");
        memory.zeroFrame(0);
        assertEquals(1, memory.touchedFrames());
        byte[] back = new byte[4];
        memory.read(0x1000 - 2, back, 0, 4);
        assertArrayEquals(new byte[] {0, 0, 3, 4}, back);
    }

    @Test
    void longsAreLittleEndianAndAtomic() {
        memory.writeLong(0x2000, 0x0102030405060708L);
        byte[] b = new byte[8];
        memory.read(0x2000, b, 0, 8);
        assertEquals(8, b[0]);
        assertTrue(memory.compareAndSetLong(0x2000, 0x0102030405060708L, 42));
        assertEquals(42, memory.getAndSetLong(0x2000, 7));
        assertEquals(7, memory.readLong(0x2000));
    }

    @Test
    void badAddressesAreRejectedAndNameTheAddress() {
        var e = assertThrows(IllegalArgumentException.class, () -> memory.readLong(1L << 30));
        assertTrue(e.getMessage().contains("0x40000000"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> memory.readLong(0x1004));
        assertThrows(IllegalArgumentException.class, () -> memory.write((1L << 30) - 2, new byte[4], 0, 4));
        assertEquals(0, memory.touchedFrames(), "a rejected write touches nothing");
        assertThrows(IllegalArgumentException.class, () -> new LazySystemMemory(12345));
        assertThrows(IllegalArgumentException.class, () -> memory.zeroFrame(-1));
    }

    @Test
    void copyMovesBytesAcrossFrames() {
        byte[] data = new byte[10000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7);
        }
        memory.write(0x10_0100, data, 0, data.length);
        memory.copy(0x10_0100, 0x20_0F00, data.length);
        byte[] out = new byte[data.length];
        memory.read(0x20_0F00, out, 0, out.length);
        assertArrayEquals(data, out);
    }
}
