package e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shell sessions a Markdown page shows: its ``` blocks that hold {@code g! } lines, each a list
 * of commands with the output lines the page shows after them; and how a shown line matches what
 * the shell printed, modulo ids, times and paths.
 */
public final class ShellSessions {
    /** One typed line and the lines shown after it. */
    public record Step(String command, List<String> shown) {
    }

    /**
     * One block: where it starts in the page, its steps, and whether the page says (in the last
     * line of text before the block) that it continues the session above, in the same instance.
     */
    public record Session(Path page, int line, List<Step> steps, boolean continues) {
        @Override
        public String toString() {
            return page.getFileName() + ":" + line;
        }
    }

    /** What the line before a block says when the block goes on in the instance of the block above. */
    public static final String CONTINUES = "continues the session above";

    private ShellSessions() {
    }

    /**
     * A command line as typed: without the page's annotation after it (two or more blanks, then
     * {@code #} or {@code (}), with {@code /path/to/} standing for the checkout {@code root}.
     */
    public static String typed(String command, Path root) {
        return command.replaceAll("\\s{2,}[#(].*$", "").replace("file:/path/to/", "file:" + root + "/").trim();
    }

    /** Every ``` block of {@code page} with at least one {@code g! } line. */
    public static List<Session> of(Path page) throws IOException {
        List<Session> sessions = new ArrayList<>();
        List<String> lines = Files.readAllLines(page);
        List<Step> steps = null;
        int start = 0;
        boolean continues = false;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.startsWith("```")) {
                if (steps == null) {
                    steps = new ArrayList<>();
                    start = i + 1;
                    int before = i - 1;
                    while (before >= 0 && lines.get(before).isBlank()) {
                        before--;
                    }
                    continues = before >= 0 && lines.get(before).toLowerCase(java.util.Locale.ROOT).contains(CONTINUES);
                } else {
                    if (!steps.isEmpty()) {
                        sessions.add(new Session(page, start, List.copyOf(steps), continues));
                    }
                    steps = null;
                }
            } else if (steps != null) {
                if (line.startsWith("g! ")) {
                    steps.add(new Step(line.substring(3), new ArrayList<>()));
                } else if (!steps.isEmpty() && !line.isBlank() && !line.trim().equals("...")) {
                    steps.get(steps.size() - 1).shown().add(line);
                }
            }
        }
        return sessions;
    }

    /** The block of {@code page} that holds {@code marker}. */
    public static Session holding(Path page, String marker) throws IOException {
        for (Session s : of(page)) {
            for (Step step : s.steps()) {
                if (step.command().contains(marker) || step.shown().stream().anyMatch(l -> l.contains(marker))) {
                    return s;
                }
            }
        }
        throw new AssertionError(page + " has no shell block with '" + marker + "'");
    }

    /**
     * A regex of a line the page shows, modulo ids, times and paths: a number of two digits or more,
     * or with a fraction, matches any number; {@code /your/dir/} or {@code /path/to/} matches any
     * directory; a run of blanks matches any run of blanks. Single digits stay as shown.
     */
    public static String regex(String shown) {
        StringBuilder regex = new StringBuilder();
        Matcher m = Pattern.compile("\\d{2,}(?:\\.\\d+)?|\\d\\.\\d+|/your/dir/|/path/to/|\\s+").matcher(shown.trim());
        String line = shown.trim();
        int at = 0;
        while (m.find()) {
            regex.append(Pattern.quote(line.substring(at, m.start())));
            String g = m.group();
            regex.append(g.isBlank() ? "\\s+" : g.startsWith("/") ? "\\S*/" : "\\d+(?:\\.\\d+)?");
            at = m.end();
        }
        return regex.append(Pattern.quote(line.substring(at))).toString();
    }
}
