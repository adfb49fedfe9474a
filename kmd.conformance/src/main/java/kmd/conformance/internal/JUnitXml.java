package kmd.conformance.internal;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

import kmd.conformance.CheckResult;
import kmd.conformance.Report;

/** A report as JUnit XML (one testsuite, one testcase per check), as CI servers read surefire's. */
final class JUnitXml {
    private JUnitXml() {
    }

    static void write(Report report, Path file) throws IOException {
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            XMLStreamWriter xml = XMLOutputFactory.newFactory().createXMLStreamWriter(out);
            String suite = "conformance." + report.driver();
            xml.writeStartDocument("UTF-8", "1.0");
            xml.writeCharacters("\n");
            xml.writeStartElement("testsuite");
            xml.writeAttribute("name", suite);
            xml.writeAttribute("tests", Integer.toString(report.results().size()));
            xml.writeAttribute("failures", Long.toString(report.failed()));
            xml.writeAttribute("errors", "0");
            xml.writeAttribute("skipped", "0");
            xml.writeAttribute("time", seconds(report.results().stream().mapToLong(CheckResult::millis).sum()));
            xml.writeCharacters("\n");
            xml.writeStartElement("properties");
            property(xml, "driver", report.driver());
            property(xml, "adapter", Integer.toString(report.adapter()));
            xml.writeEndElement();
            xml.writeCharacters("\n");
            for (CheckResult r : report.results()) {
                xml.writeStartElement("testcase");
                xml.writeAttribute("classname", suite);
                xml.writeAttribute("name", r.name());
                xml.writeAttribute("time", seconds(r.millis()));
                if (!r.passed()) {
                    xml.writeStartElement("failure");
                    xml.writeAttribute("message", r.failure());
                    xml.writeCharacters(r.failure());
                    xml.writeEndElement();
                }
                xml.writeEndElement();
                xml.writeCharacters("\n");
            }
            xml.writeEndElement();
            xml.writeEndDocument();
            xml.close();
        } catch (XMLStreamException e) {
            throw new IOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private static void property(XMLStreamWriter xml, String name, String value) throws XMLStreamException {
        xml.writeEmptyElement("property");
        xml.writeAttribute("name", name);
        xml.writeAttribute("value", value);
    }

    private static String seconds(long millis) {
        return String.format(Locale.ROOT, "%.3f", millis / 1000.0);
    }
}
