package vidmm.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import kmd.api.DmaCommand;
import kmd.api.EngineNode;

class CommandSyntaxTest {
    @Test
    void everyCommandParsesWithHexDecimalAndUnits() {
        CommandSyntax.Parsed p = CommandSyntax.parse(
                "@copy copy 0x10000 0x20000 4K; fill 0x30000 16 0xffffffff; rect 0x40000 1280 64 8 7; "
                        + "blit 0x1000 64 0x2000 128 32 4; fence 0x5000 42");
        assertEquals(EngineNode.COPY, p.node());
        assertEquals(List.of(new DmaCommand.Copy(0x10000, 0x20000, 4096), new DmaCommand.Fill(0x30000, 16, -1),
                new DmaCommand.FillRect(0x40000, 1280, 64, 8, 7), new DmaCommand.Blit(0x1000, 64, 0x2000, 128, 32, 4),
                new DmaCommand.WriteFence(0x5000, 42)), p.commands());
        assertEquals(EngineNode.RENDER, CommandSyntax.parse("fill 0x1000 4").node());
        assertEquals(new DmaCommand.Fill(0x1000, 4, 0), CommandSyntax.parse("fill 0x1000 4;").commands().get(0));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', value = {
            "''|COMMANDS is empty",
            "' ; ; '|has no command",
            "jump 0x1000|command 1 'jump 0x1000': unknown command 'jump'",
            "fill 0x1000|command 1 'fill 0x1000': expected 'fill DST LEN [PATTERN]'",
            "copy 1 2 3 4|expected 'copy SRC DST LEN'",
            "fill 0x1000 0|command 1 'fill 0x1000 0': LEN must be 1..",
            "fill 0x1000 4; copy a b 4|command 2 'copy a b 4': SRC must be a number",
            "@gpu fill 0x1000 4|engine must be @copy or @render",
            "rect 0x1000 64 -4 2|WIDTH must be 1.."})
    void badSyntaxNamesTheCommandAndTheProblem(String text, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CommandSyntax.parse(text));
        assertTrue(e.getMessage().contains(message), "'" + e.getMessage() + "' should mention '" + message + "'");
    }
}
