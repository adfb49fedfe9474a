package itest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Contexts from the shell, as a user types them: a render and a copy context on one device; a
 * 128 MiB fill submitted nowait on the render context is not reported completed, by vidmm:wait or
 * vidmm:contexts, before its last byte is written, even once a small copy on the copy context
 * completed.
 */
class ContextShellTest extends ShellTestBase {
    @Test
    void aCopyContextsCompletionDoesNotCompleteTheRenderContextsFill() throws Exception {
        String pid = group("pid (\\d+)", run("mm:spawn ctx"));
        String device = group("device (0x\\w+)", run("vidmm:device " + pid));
        String big = group("at VA (0x\\w+)", residentAlloc(device, "128M"));
        String a = group("at VA (0x\\w+)", residentAlloc(device, "4K"));
        String b = group("at VA (0x\\w+)", residentAlloc(device, "4K"));
        String render = run("vidmm:context " + device + " render");
        String copy = run("vidmm:context " + device + " copy");
        assertTrue(render.matches("0x\\w+") && copy.matches("0x\\w+"), render + " / " + copy);
        String last = String.format("0x%x", Long.decode(big) + (128L << 20) - 4);

        assertStartsWith("fence 1 submitted on RENDER (context " + render + "), 32 bytes of packets at VA 0x",
                run("vidmm:submit " + render + " \"fill " + big + " 128M 0x5a5a5a5a\" nowait"));
        assertStartsWith("fence 1 completed on COPY (context " + copy + "), 32 bytes of packets at VA 0x",
                run("vidmm:submit " + copy + " \"@copy copy " + a + " " + b + " 4096\""));
        String now = run("vidmm:wait " + render + " 1 0");
        String table = run("vidmm:contexts " + pid);
        String bytes = run("mm:read " + pid + " " + last + " 4");
        if (now.equals("timed out")) {
            assertTrue(table.matches("(?s).*" + render + " .* RENDER +0 +1 +0 +ACTIVE.*"), "render: 1 submitted, 0 completed:\n" + table);
        } else {
            assertEquals("completed", now);
            assertTrue(bytes.contains("5a 5a 5a 5a"), "completed only once its last byte is written: " + bytes);
        }
        assertEquals("completed", run("vidmm:wait " + render + " 1 30000"));
        assertTrue(run("mm:read " + pid + " " + last + " 4").contains("5a 5a 5a 5a"));
        assertTrue(run("vidmm:contexts " + pid).matches("(?s).*" + render + " .* RENDER +0 +1 +1 +ACTIVE.*"
                + copy + " .* COPY +0 +1 +1 +ACTIVE.*"), run("vidmm:contexts " + pid));
        // the device shorthand takes the device's first context of the node the commands ask for
        assertStartsWith("fence 2 completed on RENDER (context " + render + "), 32 bytes of packets at VA 0x",
                run("vidmm:submit " + device + " \"fill " + a + " 16 0x01010101\""));
    }

    /**
     * vidmm:submit writes the commands as the hardware's packets into the process's own memory and
     * submits them by address: gpu:decode reads them back there, and the next submission goes to the
     * next 64-byte line of the ring.
     */
    @Test
    void submitWritesPacketsIntoTheProcessAndSubmitsThemByAddress() throws Exception {
        String pid = group("pid (\\d+)", run("mm:spawn packets"));
        String device = group("device (0x\\w+)", run("vidmm:device " + pid));
        String va = group("at VA (0x\\w+)", residentAlloc(device, "4K"));
        String out = run("vidmm:submit " + device + " \"fill " + va + " 16 0x01020304; fence " + va + " 7\"");
        String bytes = group("(\\d+) bytes of packets at VA", out);
        String at = group("bytes of packets at VA (0x\\w+)", out);
        assertEquals("56", bytes, out);
        String decoded = run("gpu:decode " + pid + " " + at + " " + bytes);
        assertTrue(decoded.contains("FILL        dst=" + va + " length=16 pattern=0x01020304")
                && decoded.contains("WRITE_FENCE va=" + va + " value=0x7") && decoded.endsWith("2 packets"), decoded);
        String next = run("vidmm:submit " + device + " \"fill " + va + " 16 0x05050505\"");
        assertEquals(String.format("0x%x", Long.decode(at) + 64), group("bytes of packets at VA (0x\\w+)", next), next);
        assertTrue(run("mm:read " + pid + " " + va + " 4").contains("05 05 05 05"));
    }

    /** A copy context waits on the GPU for the render context's monitored fence, from the shell. */
    @Test
    void aMonitoredFenceOrdersACopyAfterARender() throws Exception {
        String pid = group("pid (\\d+)", run("mm:spawn sync"));
        String device = group("device (0x\\w+)", run("vidmm:device " + pid));
        String big = group("at VA (0x\\w+)", residentAlloc(device, "64M"));
        String small = group("at VA (0x\\w+)", residentAlloc(device, "4K"));
        String render = run("vidmm:context " + device + " render");
        String copy = run("vidmm:context " + device + " copy");
        String sync = group("sync (0x\\w+)", run("vidmm:sync " + device));
        String last = String.format("0x%x", Long.decode(big) + (64L << 20) - 16);
        run("vidmm:submit " + render + " \"fill " + big + " 64M 0x5a5a5a5a\" nowait");
        assertEquals("fence 2 on RENDER (context " + render + ") signals " + sync + " to 1", run("vidmm:signal " + render + " " + sync + " 1"));
        assertEquals("context " + copy + " waits for " + sync + " to reach 1", run("vidmm:gpuwait " + copy + " " + sync + " 1"));
        assertStartsWith("fence 1 completed on COPY (context " + copy + "), 32 bytes of packets at VA 0x",
                run("vidmm:submit " + copy + " \"@copy copy " + last + " " + small + " 16\""));
        assertTrue(run("mm:read " + pid + " " + small + " 16").contains("5a 5a 5a 5a"), "the copy ran after the fill");
        assertEquals("completed", run("vidmm:cpuwait " + sync + " 1 0"));
        assertTrue(run("vidmm:syncs").matches("(?s).*" + sync + " +" + pid + " +0x\\w+ +1\\b.*"), run("vidmm:syncs"));
        assertMessage("'s, not process " + pid + "'s", "vidmm:gpuwait " + copy + " " + group("sync (0x\\w+)",
                run("vidmm:sync " + group("device (0x\\w+)", run("vidmm:device " + group("pid (\\d+)", run("mm:spawn other")))))) + " 1");
    }

    @Test
    void badContextInputIsOneLineAndChangesNothing() throws Exception {
        String pid = group("pid (\\d+)", run("mm:spawn bad"));
        String device = group("device (0x\\w+)", run("vidmm:device " + pid));
        String render = run("vidmm:context " + device + " render");
        String before = run("vidmm:contexts");
        assertMessage("NODE must be render or copy, not 'sideways'", "vidmm:context " + device + " sideways");
        assertMessage("physical GPUs 0..0, not 3", "vidmm:context " + device + " copy 3");
        assertMessage("no device has handle 0x7777", "vidmm:context 0x7777 copy");
        assertMessage("no context or device has handle 0x7777", "vidmm:submit 0x7777 \"fill 0x10000 4\"");
        assertMessage("runs on RENDER; the commands ask for @copy", "vidmm:submit " + render + " \"@copy fill 0x10000 4\"");
        assertMessage("must be nowait (or wait)", "vidmm:submit " + render + " \"fill 0x10000 4\" later");
        assertMessage("no context has handle 0x7777", "vidmm:wait 0x7777 1");
        assertMessage("FENCE must be positive", "vidmm:wait " + render + " 0");
        // Object.wait(long) and wait() once answered these ("current thread is not owner")
        assertMessage("usage: vidmm:wait CONTEXT FENCE [MILLIS] (1 argument given)", "vidmm:wait " + render);
        assertMessage("usage: vidmm:wait CONTEXT FENCE [MILLIS] (0 arguments given)", "vidmm:wait");
        assertEquals(before, run("vidmm:contexts"));
    }

    static void assertStartsWith(String expected, String actual) {
        assertTrue(actual.startsWith(expected), "expected '" + expected + "...', got '" + actual + "'");
    }

    void assertMessage(String expected, String line) {
        Exception e = assertThrows(Exception.class, () -> run(line), line);
        assertTrue(e.getMessage() != null && e.getMessage().contains(expected), line + " -> " + e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }
}
