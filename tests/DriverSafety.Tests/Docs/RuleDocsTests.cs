using System.Reflection;
using System.Text.RegularExpressions;
using DriverSafety.Analyzers;
using Microsoft.CodeAnalysis;
using DriverSafety.Tests.Verification;
using Xunit;

namespace DriverSafety.Tests.Docs
{
    /// <summary>
    /// Every rule has a page docs/rules/{id}.md, its descriptor's help link points at it, and the release-tracking
    /// file lists exactly the rules that have descriptors (SPEC section 5; ARCHITECTURE "Habits").
    /// </summary>
    public sealed class RuleDocsTests
    {
        private static readonly string RepositoryRoot = Repository.Root;

        public static TheoryData<string> RuleIds()
        {
            var data = new TheoryData<string>();
            foreach (var id in AllDescriptors().Select(d => d.Id).OrderBy(i => i, StringComparer.Ordinal))
            {
                data.Add(id);
            }

            return data;
        }

        [Fact]
        public void Descriptors_are_found()
        {
            var descriptors = AllDescriptors();
            Assert.NotEmpty(descriptors);
            Assert.Equal(descriptors.Count, descriptors.Select(d => d.Id).Distinct(StringComparer.Ordinal).Count());
        }

        [Theory]
        [MemberData(nameof(RuleIds))]
        public void Rule_has_a_page_with_title_examples_and_suppression(string id)
        {
            var descriptor = Descriptor(id);
            string page = Path.Combine(RepositoryRoot, "docs", "rules", id + ".md");
            Assert.True(File.Exists(page), $"missing rule page {page}");

            string text = File.ReadAllText(page).Replace("\r\n", "\n");
            string firstLine = text.Split('\n')[0];
            Assert.Equal($"# {id}: {descriptor.Title}", firstLine);

            AssertSectionHasCSharpBlock(text, "## Bad example", page);
            AssertSectionHasCSharpBlock(text, "## Good example", page);
            Assert.Contains("## Where it is reported", text);
            Assert.Contains("## How to fix", text);
            Assert.Contains("## How to suppress", text);
            Assert.Contains($"#pragma warning disable {id}", text);
            Assert.Contains($"\"{id}:{descriptor.Title}\"", text);
            Assert.Contains($"dotnet_diagnostic.{id}.severity = none", text);
        }

        [Theory]
        [MemberData(nameof(RuleIds))]
        public void Help_link_points_at_the_rule_page(string id)
        {
            var descriptor = Descriptor(id);
            Assert.EndsWith($"docs/rules/{id}.md", descriptor.HelpLinkUri, StringComparison.Ordinal);
            Assert.True(Uri.IsWellFormedUriString(descriptor.HelpLinkUri, UriKind.Absolute), descriptor.HelpLinkUri);
        }

        [Theory]
        [MemberData(nameof(RuleIds))]
        public void Rule_index_links_the_page(string id)
        {
            string index = File.ReadAllText(Path.Combine(RepositoryRoot, "docs", "rules", "README.md"));
            Assert.Contains($"[{id}]({id}.md)", index);
        }

        [Fact]
        public void The_strict_preset_makes_exactly_every_rule_an_error()
        {
            var file = Path.Combine(RepositoryRoot, "nuget", "buildTransitive", "DriverSafety.strict.globalconfig");
            var ids = File.ReadAllLines(file)
                .Where(l => l.StartsWith("dotnet_diagnostic.", StringComparison.Ordinal))
                .Select(l => l.Split('.')[1])
                .ToList();
            Assert.All(File.ReadAllLines(file).Where(l => l.StartsWith("dotnet_diagnostic.", StringComparison.Ordinal)), l => Assert.EndsWith(".severity = error", l, StringComparison.Ordinal));
            Assert.Equal(AllDescriptors().Select(d => d.Id).Distinct().OrderBy(i => i, StringComparer.Ordinal), ids.OrderBy(i => i, StringComparer.Ordinal));
        }

        [Fact]
        public void Release_tracking_lists_exactly_the_descriptors()
        {
            var descriptors = AllDescriptors().ToDictionary(d => d.Id, StringComparer.Ordinal);
            var rows = ReleaseRows("AnalyzerReleases.Shipped.md").Concat(ReleaseRows("AnalyzerReleases.Unshipped.md")).ToList();
            var tracked = rows.Select(r => r.Id).ToList();

            Assert.Equal(tracked.Count, tracked.Distinct(StringComparer.Ordinal).Count());
            var untracked = descriptors.Keys.Except(tracked, StringComparer.Ordinal).OrderBy(i => i, StringComparer.Ordinal).ToList();
            var orphans = tracked.Except(descriptors.Keys, StringComparer.Ordinal).OrderBy(i => i, StringComparer.Ordinal).ToList();
            Assert.True(untracked.Count == 0, "descriptors missing from AnalyzerReleases.*.md: " + string.Join(", ", untracked));
            Assert.True(orphans.Count == 0, "AnalyzerReleases.*.md rows without a descriptor: " + string.Join(", ", orphans));

            foreach (var row in rows)
            {
                var descriptor = descriptors[row.Id];
                Assert.True(descriptor.Category == row.Category, $"{row.Id}: release tracking says category '{row.Category}', the descriptor '{descriptor.Category}'");
                Assert.True(descriptor.DefaultSeverity.ToString() == row.Severity, $"{row.Id}: release tracking says severity '{row.Severity}', the descriptor '{descriptor.DefaultSeverity}'");
            }
        }

        private static void AssertSectionHasCSharpBlock(string text, string heading, string page)
        {
            int start = text.IndexOf("\n" + heading + "\n", StringComparison.Ordinal);
            Assert.True(start >= 0, $"{page}: no '{heading}' section");
            int end = text.IndexOf("\n## ", start + heading.Length + 1, StringComparison.Ordinal);
            string section = end < 0 ? text.Substring(start) : text.Substring(start, end - start);
            int open = section.IndexOf("\n```csharp\n", StringComparison.Ordinal);
            Assert.True(open >= 0, $"{page}: '{heading}' has no ```csharp code block");
            int close = section.IndexOf("\n```\n", open + 1, StringComparison.Ordinal);
            Assert.True(close > open, $"{page}: the code block of '{heading}' is not closed");
            Assert.False(string.IsNullOrWhiteSpace(section.Substring(open + 11, close - open - 11)), $"{page}: the code block of '{heading}' is empty");
        }

        private static readonly Regex ReleaseRow = new Regex(
            @"^\s*(?<id>DRV\d{4})\s*\|\s*(?<category>[^|]*?)\s*\|\s*(?<severity>[^|]*?)\s*\|",
            RegexOptions.Multiline | RegexOptions.CultureInvariant);

        private static IEnumerable<(string Id, string Category, string Severity)> ReleaseRows(string file)
        {
            string path = Path.Combine(RepositoryRoot, "analyzers", "DriverSafety.Analyzers", file);
            Assert.True(File.Exists(path), $"missing {path}");
            return ReleaseRow.Matches(File.ReadAllText(path))
                .Select(m => (m.Groups["id"].Value, m.Groups["category"].Value, m.Groups["severity"].Value))
                .ToList();
        }

        private static DiagnosticDescriptor Descriptor(string id) => AllDescriptors().Single(d => d.Id == id);

        /// <summary>Every public static <see cref="DiagnosticDescriptor"/> field of <see cref="Descriptors"/>.</summary>
        private static List<DiagnosticDescriptor> AllDescriptors() => typeof(Descriptors)
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
            .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
            .ToList();
    }
}
