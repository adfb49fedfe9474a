package vidmm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import gpu.hw.CommandPackets;
import gpu.hw.GpuCommand;
import machine.testing.TestMachine;
import os.memmgr.PageProtection;

/** {@code gpu:decode}: a command buffer in a process's memory, decoded packet by packet, and a bad one refused in one line. */
class DecodeCommandTest {
    final TestMachine machine = TestMachine.builder().memory(64L << 20).build();

    @AfterEach
    void stop() {
        machine.close();
    }

    @Test
    void aBufferInProcessMemoryIsDecodedPacketByPacket() {
        int pid = machine.os().spawn("app");
        long va = machine.os().addressSpace(pid).allocate(4096, PageProtection.READWRITE);
        byte[] packets = CommandPackets.encode(List.of(new GpuCommand.Copy(0x10000, 0x20000, 4096),
                new GpuCommand.WriteFence(0x30000, 1)));
        machine.os().addressSpace(pid).write(va, packets);
        DecodeCommand shell = new DecodeCommand(machine.os());
        String out = shell.decode(String.valueOf(pid), "0x" + Long.toHexString(va), String.valueOf(packets.length));
        assertEquals(String.format("0x%x +0    COPY        src=0x10000 dst=0x20000 length=4096%n"
                + "0x%x +32   WRITE_FENCE va=0x30000 value=0x1%n2 packets", va, va + 32), out);
        machine.os().addressSpace(pid).write(va + 32, new byte[] {0x77});
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> shell.decode(String.valueOf(pid), "0x" + Long.toHexString(va), String.valueOf(packets.length)));
        assertEquals("command buffer byte 32: unknown opcode 0x0077", bad.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> shell.decode(String.valueOf(pid), "0x1000", "0"))
                .getMessage().contains("LEN"));
        machine.os().kill(pid);
    }
}
