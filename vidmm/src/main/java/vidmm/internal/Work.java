package vidmm.internal;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import kmd.api.DmaCommand;
import kmd.api.KernelModeDriver;

/**
 * What one submission gives the driver: VidMm's own command list (DxgkDdiSubmitCommand) or a
 * command buffer the user-mode driver wrote into its process's memory (DxgkDdiSubmitCommandVirtual:
 * DmaBufferVirtualAddress, DmaBufferSize), which VidMm never reads. Kept until the submission
 * completes, so that an engine reset can give it to the driver again.
 */
sealed interface Work permits Work.Commands, Work.Buffer {
    /** Gives it to {@code kmd} on context {@code hContext} with submission fence {@code fence}. */
    void submitTo(KernelModeDriver kmd, long hContext, long fence);

    /** The DDI that gives it to the driver. */
    String ddi();

    /** What it holds, for the SUBMIT event: command kinds, comma separated, or "buffer". */
    String kinds();

    /** Bytes its commands write, or a buffer's length (what the buffer's commands write is the driver's). */
    long bytes();

    /** A command list, which the driver encodes for its engine. */
    record Commands(List<DmaCommand> commands) implements Work {
        public Commands {
            commands = List.copyOf(commands);
        }

        @Override
        public void submitTo(KernelModeDriver kmd, long hContext, long fence) {
            kmd.submitCommand(hContext, commands, fence);
        }

        @Override
        public String ddi() {
            return "DxgkDdiSubmitCommand";
        }

        @Override
        public String kinds() {
            Set<String> kinds = new LinkedHashSet<>();
            for (DmaCommand c : commands) {
                kinds.add(c.getClass().getSimpleName().toLowerCase(Locale.ROOT));
            }
            return String.join(",", kinds);
        }

        @Override
        public long bytes() {
            long sum = 0;
            for (DmaCommand c : commands) {
                sum += bytes(c);
            }
            return sum;
        }

        /** Bytes a command writes (a copy or blit also reads as many). */
        private static long bytes(DmaCommand c) {
            if (c instanceof DmaCommand.Copy x) {
                return x.length();
            } else if (c instanceof DmaCommand.Fill x) {
                return x.length();
            } else if (c instanceof DmaCommand.FillRect x) {
                return x.widthBytes() * (long) x.height();
            } else if (c instanceof DmaCommand.Blit x) {
                return x.widthBytes() * (long) x.height();
            }
            return 8; // a fence write
        }
    }

    /** A command buffer at {@code va} in the context's process, {@code length} bytes, in the driver's format. */
    record Buffer(long va, int length) implements Work {
        @Override
        public void submitTo(KernelModeDriver kmd, long hContext, long fence) {
            kmd.submitCommandVirtual(hContext, va, length, fence);
        }

        @Override
        public String ddi() {
            return "DxgkDdiSubmitCommandVirtual";
        }

        @Override
        public String kinds() {
            return "buffer";
        }

        @Override
        public long bytes() {
            return length;
        }
    }
}
