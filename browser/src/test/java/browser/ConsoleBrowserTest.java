package browser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Base64;
import java.util.regex.Pattern;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import e2e.LauncherShell;

/**
 * The model's Web Console page in headless Chromium: the launcher runs the gradient scenario with
 * keep=true; the page lists both adapters and both IOMMU units, the process with its PASID on unit
 * 0 and its contexts, charts whose latest commit charge is the one the shell prints and which refresh
 * without the page being loaded again, the frame it serves has exactly the pixels the display scans
 * out, a click on the process shows its address-space map, each committed region as mm:query
 * reports it, a click on a region's base shows its page walk as iommu:walk prints it, the process's
 * commit charge line is mm:ps', and new credentials set with config:set replace admin / admin.
 */
class ConsoleBrowserTest {
    static final String PAGE = "http://127.0.0.1:8080/system/console/iommu-model";

    @TempDir
    Path dir;

    /** An attribute of the element {@code selector} finds now, or null: one script, so no element can go stale between. */
    static String attribute(JavascriptExecutor js, String selector, String name) {
        Object value = js.executeScript("const e = document.querySelector(arguments[0]); return e == null ? null : e.getAttribute(arguments[1]);",
                selector, name);
        return value == null ? null : value.toString();
    }

    static int status(String url) {
        return status(url, "admin:admin");
    }

    static int status(String url, String credentials) {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
            c.setRequestProperty("Authorization", "Basic " + Base64.getEncoder().encodeToString(credentials.getBytes()));
            c.setConnectTimeout(1000);
            return c.getResponseCode();
        } catch (IOException notYet) {
            return -1;
        }
    }

    @Test
    void theModelPageListsTheProcessAndShowsTheFrameTheDisplayScansOut() throws Exception {
        Path jar = Path.of(System.getProperty("launcher.jar", "../launcher/target/launcher.jar"));
        assertTrue(Files.isRegularFile(jar), "the launcher is built at " + jar);
        assertEquals(-1, status(PAGE), "port 8080 is free before the launcher starts (another model running?)");
        try (LauncherShell felix = new LauncherShell(jar.toAbsolutePath(), dir)) {
            String report = felix.type("scenario:run gradient keep=true out=" + dir.resolve("g.png"), "(?s)(process \\d+ PASID \\d+)");
            String pid = report.replaceAll("process (\\d+) PASID \\d+", "$1");
            String pasid = report.replaceAll("process \\d+ PASID (\\d+)", "$1");
            Path scan = dir.resolve("scan.png");
            felix.type("display:scanout " + scan, "wrote " + Pattern.quote(scan.toString()));
            String commit = felix.type("mm:frames", "commit\\s+(\\d+) of");
            long deadline = System.currentTimeMillis() + 30_000;
            while (status(PAGE) != 200) {
                assertTrue(System.currentTimeMillis() < deadline, "the page never answered 200; launcher output:\n" + felix.output());
                Thread.sleep(100);
            }

            ChromeDriverService service = new ChromeDriverService.Builder()
                    .usingDriverExecutable(new File("/usr/bin/chromedriver")).usingAnyFreePort().build();
            ChromeOptions options = new ChromeOptions().setBinary("/usr/bin/chromium")
                    .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1700");
            WebDriver browser = new ChromeDriver(service, options);
            try {
                browser.get("http://admin:admin@127.0.0.1:8080/system/console/iommu-model");
                String processes = browser.findElement(By.id("processes")).getText();
                assertTrue(processes.matches("(?s).*\\b" + pid + " gradient 0: " + pasid + "\\b.*"),
                        "the process and its PASID on unit 0 are listed: " + processes);
                assertTrue(browser.findElement(By.id("drivers")).getText().contains("attached"));
                String adapters = browser.findElement(By.id("adapters")).getText();
                assertTrue(adapters.matches("(?s).*\\n0 1234:1111 rev 2 0 STARTED IOMMU .*\\n1 1234:2222 rev 2 1 STARTED IOMMU .*"),
                        "both adapters, each on its own unit: " + adapters);
                String units = browser.findElement(By.id("iotlb")).getText();
                assertTrue(units.matches("(?s).*\\n0 \\d+.*\\n1 \\d+.*"), "both IOMMU units: " + units);
                String tlbs = browser.findElement(By.id("device-tlb")).getText();
                assertTrue(tlbs.matches("(?s).*\\n0 0 0 on [1-9]\\d* [1-9]\\d* \\d+ \\d+\\.\\d% .*\\n1 0 1 on .*"),
                        "the gradient's copies asked adapter 0's device TLB first (lookups and hits), adapter 1's is listed: " + tlbs);
                String contexts = browser.findElement(By.id("contexts")).getText();
                assertTrue(contexts.matches("(?s).*\\n0x[0-9a-f]+ 0 0x[0-9a-f]+ " + pid + " .*"),
                        "the gradient process's contexts on adapter 0: " + contexts);
                assertEquals(1, browser.findElements(By.id("aperture-1")).size(), "adapter 1 has its own aperture table");
                assertTrue(browser.findElements(By.id("frame-1-0")).isEmpty(), "adapter 1 is render only: no frame");
                JavascriptExecutor js = (JavascriptExecutor) browser;
                // the charts: the commit charge drawn is the one mm:frames printed (the scenario's process is
                // kept, so it stays), and they refresh without the page being loaded again
                js.executeScript("window.notReloaded = true;");
                // the charts are replaced every two seconds: each attribute is read in one script, never through
                // an element found before (which the refresh may have replaced: a stale element)
                long sampled = Long.parseLong(attribute(js, "#charts", "data-sampled"));
                long until = System.currentTimeMillis() + 10_000;
                String latest = "";
                while (System.currentTimeMillis() < until) {
                    latest = attribute(js, "#chart-commit-charge", "data-latest");
                    long now = Long.parseLong(attribute(js, "#charts", "data-sampled"));
                    if (latest.equals(commit) && now > sampled + 1) {
                        break;
                    }
                    Thread.sleep(200);
                }
                assertEquals(commit, latest, "the commit charge chart's latest value is mm:frames' commit charge");
                assertTrue(Long.parseLong(attribute(js, "#charts", "data-sampled")) > sampled + 1,
                        "the charts were fetched again: more samples than when the page loaded");
                assertEquals(Boolean.TRUE, js.executeScript("return window.notReloaded === true;"), "without reloading the page");
                assertEquals(1, browser.findElements(By.id("chart-iotlb-hit-rate-1")).size(), "unit 1 has its hit-rate chart");
                assertEquals(1, browser.findElements(By.id("chart-device-tlb-hit-rate")).size(), "the device TLBs have theirs");
                // the image as the browser decoded it: drawn on a canvas, read back as PNG
                Object b64 = js.executeAsyncScript("const done = arguments[arguments.length - 1];"
                        + "const img = document.getElementById('frame-0-0');"
                        + "const grab = () => { if (!img.complete || img.naturalWidth === 0) { setTimeout(grab, 50); return; }"
                        + "  const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;"
                        + "  c.getContext('2d').drawImage(img, 0, 0);"
                        + "  done(img.naturalWidth + ',' + c.toDataURL('image/png').split(',')[1]); };"
                        + "grab();");
                // the page reloads its images every second: the width is read with the pixels, not after them
                String[] grabbed = ((String) b64).split(",", 2);
                assertEquals("320", grabbed[0], "the page's image loaded and decoded");
                BufferedImage shown = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(grabbed[1])));
                BufferedImage expected = ImageIO.read(scan.toFile());
                assertEquals(expected.getWidth(), shown.getWidth());
                assertEquals(expected.getHeight(), shown.getHeight());
                for (int y = 0; y < expected.getHeight(); y++) {
                    for (int x = 0; x < expected.getWidth(); x++) {
                        assertEquals(expected.getRGB(x, y), shown.getRGB(x, y), "pixel " + x + "," + y);
                    }
                }
                // a click on the process: its address-space map, each region as mm:query reports it
                browser.findElement(By.id("pid-" + pid)).click();
                java.util.List<org.openqa.selenium.WebElement> committed = browser.findElements(By.cssSelector("#map tbody tr"))
                        .stream().filter(r -> r.findElements(By.tagName("td")).get(3).getText().equals("COMMIT")).toList();
                assertTrue(!committed.isEmpty(), "the map shows the process's committed memory: "
                        + browser.findElement(By.id("map")).getText());
                for (org.openqa.selenium.WebElement row : committed) {
                    java.util.List<String> cells = row.findElements(By.tagName("td")).stream()
                            .map(org.openqa.selenium.WebElement::getText).toList();
                    String shell = felix.type("mm:query " + pid + " " + cells.get(0), "(base 0x[0-9a-f]+ [^\\n]*)").trim();
                    assertEquals(String.format("base %s size %s allocation %s %s %s %s", cells.get(0), cells.get(1),
                            cells.get(2), cells.get(3), cells.get(4), cells.get(5)), shell, "the map's region is mm:query's");
                }
                // a click on a committed region's base: the walk of that address, level by level, as iommu:walk prints it
                String va = committed.get(0).findElements(By.tagName("td")).get(0).getText();
                browser.findElement(By.cssSelector("#map a.walk-link[href$='va=" + va + "']")).click();
                String walk = felix.type("iommu:walk " + pasid + " " + va + " 0", "(?s)(unit 0 PASID .*?IOTLB: [^\\n]*)");
                java.util.List<org.openqa.selenium.WebElement> levels = browser.findElements(By.cssSelector("#walk-0 tbody tr"));
                assertTrue(!levels.isEmpty(), "the page shows the walk on unit 0");
                for (org.openqa.selenium.WebElement level : levels) {
                    java.util.List<String> c = level.findElements(By.tagName("td")).stream()
                            .map(org.openqa.selenium.WebElement::getText).toList();
                    String line = String.format("%-5s[%3d] at %s = %s  %s", c.get(0), Integer.parseInt(c.get(1)), c.get(2),
                            c.get(3), c.get(4));
                    assertTrue(walk.contains(line), "the page's level '" + line + "' is iommu:walk's:\n" + walk);
                }
                assertEquals(4, levels.size(), "a committed, touched page of the primary: four levels");
                assertTrue(walk.contains(browser.findElement(By.id("walk-outcome-0")).getText()), "the outcome is iommu:walk's");
                assertTrue(walk.endsWith(browser.findElement(By.id("walk-iotlb-0")).getText()), "so is the IOTLB line");
                // the per-process charts: the process's commit charge is the one mm:ps prints
                String charge = felix.type("mm:ps", "(?m)^" + pid + "\\s+gradient\\s+\\S+\\s+0x[0-9a-f]+\\s+\\d+\\s+(\\d+)");
                String line = "#chart-commit-by-process polyline[data-pid='" + pid + "']";
                until = System.currentTimeMillis() + 10_000;
                while (attribute(js, line, "data-latest") == null && System.currentTimeMillis() < until) {
                    Thread.sleep(200);
                }
                assertEquals(charge, attribute(js, line, "data-latest"), "the process's commit charge line");
                assertEquals(1, browser.findElements(By.cssSelector("#chart-gpu-by-process polyline[data-pid='" + pid + "']")).size(),
                        "the process's GPU usage against its budget is drawn");
                Path screenshots = Path.of(System.getProperty("screenshot.dir", "target"));
                Files.createDirectories(screenshots);
                File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
                Files.copy(shot.toPath(), screenshots.resolve("console-iommu-model.png"), StandardCopyOption.REPLACE_EXISTING);
                // the credentials are Config Admin's: new ones apply, the default ones stop working
                String updated = felix.type("config:set org.apache.felix.webconsole.internal.servlet.OsgiManager"
                        + " username=teacher password=projector", "(OsgiManager updated: [^\\n]*)");
                assertTrue(!updated.contains("projector"), "the shell does not print the password back: " + updated);
                until = System.currentTimeMillis() + 10_000;
                while (status(PAGE, "teacher:projector") != 200 && System.currentTimeMillis() < until) {
                    Thread.sleep(200);
                }
                assertEquals(200, status(PAGE, "teacher:projector"), "the new credentials open the page");
                assertEquals(401, status(PAGE, "admin:admin"), "the default ones no longer do");
            } finally {
                browser.quit();
            }
        }
    }
}
