package vidmm.internal;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

import org.apache.felix.service.command.Descriptor;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

import shell.support.Args;
import kmd.api.EngineNode;
import vidmm.ContextInfo;
import vidmm.FenceWait;
import vidmm.VidMm;
import vidmm.VidMmException;
import vidmm.VidMmStatus;

/** Gogo commands for contexts and submission (scope {@code vidmm}); {@code vidmm:wait} is {@link WaitCommand}. */
@Component(service = ContextCommands.class, immediate = true, property = { // immediate: its command rings are state
        "osgi.command.scope=vidmm",
        "osgi.command.function=context",
        "osgi.command.function=contexts",
        "osgi.command.function=submit"})
public final class ContextCommands {
    static final long SUBMIT_WAIT_MILLIS = 5000;
    private final VidMm vidmm;
    private final ShellCommandRing ring;

    @Activate
    public ContextCommands(@Reference VidMm vidmm, @Reference os.memmgr.MemoryManager mm) {
        this.vidmm = vidmm;
        this.ring = new ShellCommandRing(mm, vidmm);
    }

    @Descriptor("D3DKMTCreateContext on physical GPU 0: a context of a device on one engine node, with its own fences; prints its handle")
    public String context(@Descriptor("device handle, as vidmm:device printed it") String device,
                          @Descriptor("render or copy") String node) {
        return context(device, node, "0");
    }

    @Descriptor("D3DKMTCreateContext: a context of a device on one engine node of one physical GPU, with its own fences; prints its handle")
    public String context(@Descriptor("device handle, as vidmm:device printed it") String device,
                          @Descriptor("render or copy") String node,
                          @Descriptor("physical GPU of a linked adapter (0 otherwise)") String gpu) {
        long context = vidmm.createContext(Args.number("DEVICE", device), node(node), Args.id("GPU", gpu));
        return String.format("0x%x", context);
    }

    private static EngineNode node(String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "render" -> EngineNode.RENDER;
            case "copy" -> EngineNode.COPY;
            default -> throw new IllegalArgumentException("NODE must be render or copy, not '" + text + "'");
        };
    }

    @Descriptor("every context: handle, device, pid, node, GPU, last submitted and last completed fence, status")
    public String contexts() {
        return table(vidmm.contexts());
    }

    @Descriptor("the contexts of one process")
    public String contexts(@Descriptor("process id, as mm:spawn printed it") String pid) {
        int p = Args.id("PID", pid);
        return table(vidmm.contexts().stream().filter(c -> c.pid() == p).toList());
    }

    private static String table(List<ContextInfo> list) {
        if (list.isEmpty()) {
            return "no contexts";
        }
        return "context  device  pid  node    gpu  submitted  completed  status\n" + list.stream()
                .map(c -> String.format("0x%-5x  0x%-4x  %-3d  %-6s  %-3d  %-9d  %-9d  %s", c.handle(), c.device(), c.pid(),
                        c.node(), c.gpu(), c.submittedFence(), c.completedFence(), c.status()))
                .collect(Collectors.joining("\n"));
    }

    @Descriptor("submits a command buffer on a context (given a device: its first context on RENDER, or COPY with a leading @copy) and waits up to 5 s for its fence; example: vidmm:submit 0x101 \"@copy copy 0x10000 0x20000 11; fence 0x10ff8 1\"")
    public String submit(@Descriptor("context handle (vidmm:context), or a device handle: its first context of the node the commands ask for") String handle,
                         @Descriptor("command buffer, quoted: [@copy|@render] then commands separated by \";\": copy SRC DST LEN | fill DST LEN [PATTERN32] | rect DST PITCH WIDTH HEIGHT [PATTERN32] | blit SRC SRCPITCH DST DSTPITCH WIDTH HEIGHT | fence VA VALUE") String commands) {
        return submit(handle, commands, "wait");
    }

    @Descriptor("submits a command buffer on a context; with nowait prints its fence at once (vidmm:wait waits for it)")
    public String submit(@Descriptor("context handle (vidmm:context), or a device handle: its first context of the node the commands ask for") String handle,
                         @Descriptor("command buffer, quoted, as for vidmm:submit HANDLE COMMANDS") String commands,
                         @Descriptor("nowait, or wait (the default)") String mode) {
        boolean wait = switch (mode.toLowerCase(Locale.ROOT)) {
            case "wait" -> true;
            case "nowait" -> false;
            default -> throw new IllegalArgumentException("the third argument must be nowait (or wait), not '" + mode + "'");
        };
        long h = Args.number("HANDLE", handle);
        CommandSyntax.Parsed parsed = CommandSyntax.parse(commands);
        long context = contextFor(h, parsed);
        ContextInfo c = vidmm.contextInfo(context);
        byte[] packets = gpu.hw.CommandPackets.encode(packets(parsed.commands()));
        long[] submitted = ring.submit(c.pid(), context, packets); // in the process's memory, as its UMD would
        long fence = submitted[0];
        String where = String.format("on %s (context 0x%x), %d bytes of packets at VA 0x%x", c.node(), context,
                packets.length, submitted[1]);
        if (!wait) {
            return "fence " + fence + " submitted " + where;
        }
        return switch (vidmm.waitForFence(context, fence, SUBMIT_WAIT_MILLIS)) {
            case COMPLETED -> "fence " + fence + " completed " + where;
            case TIMED_OUT -> "fence " + fence + " not completed after " + SUBMIT_WAIT_MILLIS + " ms " + where;
            case DEVICE_IN_ERROR -> {
                awaitRecovery(); // so that vidmm:faults, typed next, shows what VidMm did
                yield "fence " + fence + " " + where + ": device faulted and is in error; see vidmm:faults";
            }
        };
    }

    /** Waits (up to 5 s) until the recovery of the fault just seen has run, when VidMm is this bundle's. */
    private void awaitRecovery() {
        if (vidmm instanceof VideoMemoryManager v) {
            try {
                v.awaitRecovery();
            } catch (Exception slow) {
                // the fault's outcome shows as pending in vidmm:faults until it has run
            }
        }
    }

    /** The hardware's packets of the shell's commands (gpu.hw.CommandPackets: the engines' own format). */
    private static List<gpu.hw.GpuCommand> packets(List<kmd.api.DmaCommand> commands) {
        List<gpu.hw.GpuCommand> out = new java.util.ArrayList<>();
        for (kmd.api.DmaCommand d : commands) {
            if (d instanceof kmd.api.DmaCommand.Copy x) {
                out.add(new gpu.hw.GpuCommand.Copy(x.srcVa(), x.dstVa(), x.length()));
            } else if (d instanceof kmd.api.DmaCommand.Fill x) {
                out.add(new gpu.hw.GpuCommand.Fill(x.dstVa(), x.length(), x.pattern()));
            } else if (d instanceof kmd.api.DmaCommand.FillRect x) {
                out.add(new gpu.hw.GpuCommand.FillRect(x.dstVa(), x.pitch(), x.widthBytes(), x.height(), x.pattern()));
            } else if (d instanceof kmd.api.DmaCommand.Blit x) {
                out.add(new gpu.hw.GpuCommand.Blit(x.srcVa(), x.srcPitch(), x.dstVa(), x.dstPitch(), x.widthBytes(), x.height()));
            } else {
                kmd.api.DmaCommand.WriteFence x = (kmd.api.DmaCommand.WriteFence) d;
                out.add(new gpu.hw.GpuCommand.WriteFence(x.va(), x.value()));
            }
        }
        return out;
    }

    /** The context a handle names, or a device's shorthand context for the node the commands ask for. */
    private long contextFor(long handle, CommandSyntax.Parsed parsed) {
        ContextInfo c;
        try {
            c = vidmm.contextInfo(handle);
        } catch (VidMmException notAContext) {
            if (notAContext.status() != VidMmStatus.INVALID_HANDLE) {
                throw notAContext;
            }
            try {
                vidmm.device(handle);
            } catch (VidMmException notADevice) {
                throw new VidMmException(VidMmStatus.INVALID_HANDLE, String.format(
                        "no context or device has handle 0x%x", handle));
            }
            return vidmm.context(handle, parsed.node());
        }
        if (parsed.explicit() && parsed.node() != c.node()) {
            throw new IllegalArgumentException(String.format("context 0x%x runs on %s; the commands ask for @%s", handle,
                    c.node(), parsed.node().name().toLowerCase(Locale.ROOT)));
        }
        return handle;
    }

    /** {@code vidmm:wait}, which {@link WaitCommand} registers (a method named wait meets Object's in Gogo). */
    String waitForFence(String context, String fence, String millis) {
        long c = Args.number("CONTEXT", context);
        long f = Args.number("FENCE", fence);
        long ms = Args.number("MILLIS", millis);
        if (f <= 0) {
            throw new IllegalArgumentException("FENCE must be positive, not " + f);
        }
        return words(vidmm.waitForFence(c, f, ms));
    }

    /** A wait's outcome as the shell prints it. */
    static String words(FenceWait w) {
        return switch (w) {
            case COMPLETED -> "completed";
            case TIMED_OUT -> "timed out";
            case DEVICE_IN_ERROR -> "device in error";
        };
    }
}
