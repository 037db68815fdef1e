using System.Text;
using System.Text.RegularExpressions;
using Molt.Update.Daemon;
using Xunit;

namespace Molt.Tests.Browser;

/// <summary>
/// The status page's bytes, without a browser: self-contained (no external
/// URL, no asset to fetch but <c>/status</c>), ASCII, small enough to sit in
/// the kernel image and go out in a few TCP segments.
/// </summary>
public class StatusPageContentTests
{
    private static string Page => Encoding.ASCII.GetString(StatusPage.Html);

    [Fact]
    public void Is_ascii_and_under_12_KiB()
    {
        byte[] bytes = StatusPage.Html.ToArray();
        Assert.InRange(bytes.Length, 1000, 12 * 1024 - 1);
        int bad = Array.FindIndex(bytes, b => b is >= 0x80 or (< 0x20 and not (byte)'\n' and not (byte)'\r' and not (byte)'\t'));
        Assert.True(bad < 0, $"byte {bad} is 0x{(bad < 0 ? 0 : bytes[bad]):x2}, not printable ASCII");
    }

    [Fact]
    public void Is_one_html_document()
    {
        Assert.StartsWith("<!DOCTYPE html>", Page);
        Assert.EndsWith("</html>", Page.TrimEnd());
        Assert.Single(Regex.Matches(Page, "<script"));
        Assert.Single(Regex.Matches(Page, "<style"));
    }

    [Fact]
    public void Names_no_external_url()
    {
        Assert.DoesNotMatch(new Regex("(https?:)?//[a-z0-9.-]+\\.[a-z]{2,}", RegexOptions.IgnoreCase), Page);
        // Nothing loads another resource: no src/href attribute, no CSS import or url().
        foreach (Match m in Regex.Matches(Page, @"\b(src|href|action|srcset)\s*=\s*[""']?([^""'\s>]*)", RegexOptions.IgnoreCase))
            Assert.Fail($"the page loads {m.Groups[2].Value} ({m.Value})");
        Assert.DoesNotContain("@import", Page);
        Assert.DoesNotContain("url(", Page);
        Assert.DoesNotContain("<link", Page);
        // The only fetch is the status, on the same origin.
        var fetches = Regex.Matches(Page, @"fetch\(\s*""([^""]*)""").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(["/status"], fetches);
    }

    [Fact]
    public void Has_the_ids_the_tests_and_people_rely_on()
    {
        foreach (string id in new[] { "build-id", "arch", "cpus", "uptime", "level", "busy", "last-updated", "banner", "patches", "history", "classes" })
            Assert.Contains($"id=\"{id}\"", Page);
    }
}
