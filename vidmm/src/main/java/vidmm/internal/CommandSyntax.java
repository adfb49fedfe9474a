package vidmm.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import shell.support.Args;
import kmd.api.DmaCommand;
import kmd.api.EngineNode;

/**
 * The shell's command-buffer syntax: commands separated by {@code ;}, optionally led by
 * {@code @copy} or {@code @render} (the engine; render by default):
 * <pre>
 * copy SRC DST LEN
 * fill DST LEN [PATTERN]                       (32-bit pattern, default 0)
 * rect DST PITCH WIDTH HEIGHT [PATTERN]        (WIDTH in bytes)
 * blit SRC SRCPITCH DST DSTPITCH WIDTH HEIGHT
 * fence VA VALUE                               (writes a 64-bit fence value)
 * </pre>
 */
final class CommandSyntax {
    /** The commands, and the node they ask for ({@code explicit} when a leading @copy / @render named it). */
    record Parsed(EngineNode node, boolean explicit, List<DmaCommand> commands) {
    }

    private CommandSyntax() {
    }

    static Parsed parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("COMMANDS is empty; e.g. \"fill 0x10000 4096 0xff; copy 0x10000 0x20000 4096\"");
        }
        EngineNode node = EngineNode.RENDER;
        boolean explicit = false;
        List<DmaCommand> commands = new ArrayList<>();
        String[] parts = text.split(";");
        for (int i = 0; i < parts.length; i++) {
            String[] w = parts[i].trim().split("\\s+");
            if (w.length == 1 && w[0].isEmpty()) {
                continue;
            }
            String where = "command " + (i + 1) + " '" + parts[i].trim() + "'";
            String verb = w[0].toLowerCase(Locale.ROOT);
            if (i == 0 && verb.startsWith("@")) {
                node = switch (verb) {
                    case "@copy" -> EngineNode.COPY;
                    case "@render" -> EngineNode.RENDER;
                    default -> throw new IllegalArgumentException(where + ": engine must be @copy or @render");
                };
                explicit = true;
                w = java.util.Arrays.copyOfRange(w, 1, w.length);
                if (w.length == 0) {
                    continue;
                }
                verb = w[0].toLowerCase(Locale.ROOT);
            }
            commands.add(command(where, verb, w));
        }
        if (commands.isEmpty()) {
            throw new IllegalArgumentException("COMMANDS has no command");
        }
        return new Parsed(node, explicit, commands);
    }

    private static DmaCommand command(String where, String verb, String[] w) {
        switch (verb) {
            case "copy":
                arity(where, w, 4, 4, "copy SRC DST LEN");
                return new DmaCommand.Copy(n(where, "SRC", w[1]), n(where, "DST", w[2]), size(where, "LEN", w[3]));
            case "fill":
                arity(where, w, 3, 4, "fill DST LEN [PATTERN]");
                return new DmaCommand.Fill(n(where, "DST", w[1]), size(where, "LEN", w[2]),
                        w.length > 3 ? (int) n(where, "PATTERN", w[3]) : 0);
            case "rect":
                arity(where, w, 5, 6, "rect DST PITCH WIDTH HEIGHT [PATTERN]");
                return new DmaCommand.FillRect(n(where, "DST", w[1]), size(where, "PITCH", w[2]),
                        (int) size(where, "WIDTH", w[3]), (int) size(where, "HEIGHT", w[4]),
                        w.length > 5 ? (int) n(where, "PATTERN", w[5]) : 0);
            case "blit":
                arity(where, w, 7, 7, "blit SRC SRCPITCH DST DSTPITCH WIDTH HEIGHT");
                return new DmaCommand.Blit(n(where, "SRC", w[1]), size(where, "SRCPITCH", w[2]), n(where, "DST", w[3]),
                        size(where, "DSTPITCH", w[4]), (int) size(where, "WIDTH", w[5]), (int) size(where, "HEIGHT", w[6]));
            case "fence":
                arity(where, w, 3, 3, "fence VA VALUE");
                return new DmaCommand.WriteFence(n(where, "VA", w[1]), n(where, "VALUE", w[2]));
            default:
                throw new IllegalArgumentException(where + ": unknown command '" + w[0] + "'; use copy, fill, rect, blit or fence");
        }
    }

    private static void arity(String where, String[] w, int min, int max, String usage) {
        if (w.length < min || w.length > max) {
            throw new IllegalArgumentException(where + ": expected '" + usage + "'");
        }
    }

    private static long n(String where, String name, String text) {
        try {
            return Args.number(name, text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": " + e.getMessage());
        }
    }

    private static long size(String where, String name, String text) {
        long v = n(where, name, text);
        if (v <= 0 || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(where + ": " + name + " must be 1.." + Integer.MAX_VALUE + ", not " + text);
        }
        return v;
    }
}
