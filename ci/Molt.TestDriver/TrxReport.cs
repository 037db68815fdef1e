using System.Xml.Linq;

namespace Molt.TestDriver;

/// <summary>
/// Reads a VSTest TRX file, the one output of dotnet test that lists every
/// test with its outcome in a stable, machine-readable form (console text
/// changes between SDKs and languages).
/// </summary>
public static class TrxReport
{
    /// <summary>One test's outcome.</summary>
    /// <param name="Name">The test's display name (class.method, with theory arguments).</param>
    /// <param name="Outcome">Passed, Failed or Skipped.</param>
    /// <param name="Message">The failure message or skip reason; null if none.</param>
    public sealed record Test(string Name, TestOutcome Outcome, string? Message);

    /// <summary>The three outcomes the driver counts.</summary>
    public enum TestOutcome
    {
        /// <summary>Ran and passed.</summary>
        Passed,

        /// <summary>Ran and failed, or ended in any state other than passed or not executed.</summary>
        Failed,

        /// <summary>Not executed (xunit's Skip).</summary>
        Skipped,
    }

    /// <summary>Parses TRX text into its tests, in file order.</summary>
    public static IReadOnlyList<Test> Parse(string trxXml)
    {
        var doc = XDocument.Parse(trxXml);
        XNamespace ns = doc.Root?.Name.Namespace ?? XNamespace.None;
        var tests = new List<Test>();
        foreach (var r in doc.Descendants(ns + "UnitTestResult"))
        {
            string name = (string?)r.Attribute("testName") ?? "(unnamed)";
            string outcome = (string?)r.Attribute("outcome") ?? "";
            string? message = r.Element(ns + "Output")?.Element(ns + "ErrorInfo")?.Element(ns + "Message")?.Value
                              ?? r.Element(ns + "Output")?.Element(ns + "StdOut")?.Value;
            var kind = outcome switch
            {
                "Passed" => TestOutcome.Passed,
                "NotExecuted" => TestOutcome.Skipped,
                _ => TestOutcome.Failed,
            };
            tests.Add(new Test(name, kind, message?.Trim()));
        }
        return tests;
    }
}
