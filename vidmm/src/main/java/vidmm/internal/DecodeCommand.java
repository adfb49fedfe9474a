package vidmm.internal;

import java.util.List;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import gpu.hw.BufferSubmission;
import gpu.hw.CommandPackets;
import gpu.hw.GpuCommand;
import shell.support.Args;
import os.memmgr.MemoryManager;

/**
 * {@code gpu:decode PID VA LEN}: a command buffer in a process's memory, read as the CPU sees it and
 * decoded packet by packet as an engine's command processor would ({@link CommandPackets}).
 */
@Component(service = DecodeCommand.class, property = {"osgi.command.scope=gpu", "osgi.command.function=decode"})
public final class DecodeCommand {
    private final MemoryManager mm;

    @Activate
    public DecodeCommand(@Reference MemoryManager mm) {
        this.mm = mm;
    }

    @Descriptor("decodes the command buffer of LEN bytes at VA in process PID, packet by packet")
    public String decode(@Descriptor("process id") String pid, @Descriptor("the buffer's virtual address") String va,
                         @Descriptor("its length in bytes") String length) {
        long at = Args.address("VA", va);
        byte[] bytes = mm.addressSpace(Args.id("PID", pid)).read(at,
                (int) Args.size("LEN", length, BufferSubmission.MAX_BYTES));
        List<GpuCommand> commands = CommandPackets.decode(bytes);
        StringBuilder out = new StringBuilder();
        long offset = 0;
        for (GpuCommand c : commands) {
            out.append(String.format("0x%x +%-4d %s%n", at + offset, offset, describe(c)));
            offset += CommandPackets.length(c);
        }
        return out.append(commands.size()).append(commands.size() == 1 ? " packet" : " packets").toString();
    }

    private static String describe(GpuCommand c) {
        if (c instanceof GpuCommand.Fill f) {
            return String.format("FILL        dst=0x%x length=%d pattern=0x%08x", f.dstVa(), f.length(), f.pattern());
        }
        if (c instanceof GpuCommand.Copy x) {
            return String.format("COPY        src=0x%x dst=0x%x length=%d", x.srcVa(), x.dstVa(), x.length());
        }
        if (c instanceof GpuCommand.FillRect r) {
            return String.format("FILL_RECT   dst=0x%x pitch=%d %dx%d bytes pattern=0x%08x", r.dstVa(), r.pitch(), r.widthBytes(),
                    r.height(), r.pattern());
        }
        if (c instanceof GpuCommand.Blit b) {
            return String.format("BLIT        src=0x%x pitch=%d dst=0x%x pitch=%d %dx%d bytes", b.srcVa(), b.srcPitch(), b.dstVa(),
                    b.dstPitch(), b.widthBytes(), b.height());
        }
        if (c instanceof GpuCommand.WriteFence w) {
            return String.format("WRITE_FENCE va=0x%x value=0x%x", w.va(), w.value());
        }
        GpuCommand.WaitFence w = (GpuCommand.WaitFence) c;
        return String.format("WAIT_FENCE  va=0x%x value=0x%x", w.va(), w.value());
    }
}
