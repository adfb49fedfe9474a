package itest;

import org.apache.felix.service.command.CommandProcessor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.BundleContext;
import org.osgi.test.common.annotation.InjectBundleContext;
import org.osgi.test.common.annotation.InjectService;
import org.osgi.test.junit5.context.BundleContextExtension;
import org.osgi.test.junit5.service.ServiceExtension;

import os.memmgr.MemoryManager;
import os.memmgr.ProcessInfo;

/** In-framework tests that type shell commands: a session per test, and every process ended after it. */
@ExtendWith(BundleContextExtension.class)
@ExtendWith(ServiceExtension.class)
abstract class ShellTestBase {
    @InjectBundleContext
    BundleContext context;
    @InjectService
    CommandProcessor processor;

    Shell shell;

    @BeforeEach
    void openShell() {
        shell = new Shell(processor);
    }

    @AfterEach
    void closeShellAndEndProcesses() throws Exception {
        shell.close();
        MemoryManager mm = Shell.await(context, MemoryManager.class);
        for (ProcessInfo p : mm.processes()) {
            mm.kill(p.pid());
        }
    }

    String run(String line) throws Exception {
        return shell.run(line);
    }

    /**
     * {@code vidmm:alloc DEVICE ARGS}, then {@code vidmm:resident} of it (under the default GPU fault policy,
     * windows, the GPU may touch only resident memory); returns what vidmm:alloc printed.
     */
    String residentAlloc(String device, String args) throws Exception {
        String out = run("vidmm:alloc " + device + " " + args);
        run("vidmm:resident " + device + " " + group("allocation (0x\\w+)", out));
        return out;
    }

    static String group(String regex, String text) {
        return Shell.group(regex, text);
    }

    <T> T await(Class<T> type) throws InterruptedException {
        return Shell.await(context, type);
    }
}
