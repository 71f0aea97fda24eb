using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using DriverSafety.Tests.Samples;
using DriverSafety.Tests.Verification;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Xunit;

namespace DriverSafety.Tests.Gallery;

/// <summary>
/// The bug gallery (sample-driver/DriverSafety.SampleDriver.BugGallery) is compiled as its build compiles it: its own
/// sources against the sample driver's assembly (only annotations cross the assembly boundary) and the annotations.
/// Its findings are pinned exactly, by (file, line, rule); each sits on a line of a story's buggy version that says so
/// with a "// DRVnnnn" marker, and the fixed twins report nothing.
/// </summary>
public sealed class BugGalleryTests
{
    private static readonly string GalleryFolder = Path.Combine(Repository.Root, "sample-driver", "DriverSafety.SampleDriver.BugGallery");

    private static readonly Lazy<Compilation> GalleryCompilation = new(CompileGallery);

    private static readonly Lazy<Task<ImmutableArray<Diagnostic>>> GalleryFindings = new(() => Analyze(GalleryCompilation.Value));

    private static readonly Regex Marker = new(@"//\s*(DRV\d{4})\b", RegexOptions.CultureInvariant);

    /// <summary>What `dotnet build` of the gallery prints: (file under the gallery folder, line, rule).</summary>
    private static readonly (string File, int Line, string Id)[] Pinned =
    [
        ("Stories/AhciNcqInterruptAllocation.cs", 27, "DRV2001"),
        ("Stories/AmdIommuIncreaseAddressSpace.cs", 55, "DRV2001"),
        ("Stories/DmaBufMmapSelfImport.cs", 31, "DRV1006"),
        ("Stories/DrmGemLockReservationsFini.cs", 47, "DRV1003"),
        ("Stories/DrmGetUniqueUnderSpinlock.cs", 42, "DRV2001"),
        ("Stories/DrmGetUniqueUnderSpinlock.cs", 56, "DRV2001"),
        ("Stories/HugetlbSurplusDoubleUnlock.cs", 35, "DRV1009"),
        ("Stories/HugetlbSurplusDoubleUnlock.cs", 52, "DRV1004"),
        ("Stories/NouveauCliMutexReservation.cs", 39, "DRV1007"),
        ("Stories/PanfrostPinRecursiveReservation.cs", 35, "DRV1005"),
        ("Stories/Seed002_UserptrStructMutex.cs", 39, "DRV1008"),
        ("Stories/Seed002_UserptrStructMutex.cs", 41, "DRV1007"),
        ("Stories/Seed003_VmapWithoutReservation.cs", 27, "DRV1002"),
        ("Stories/Seed003_VmapWithoutReservation.cs", 34, "DRV1002"),
        ("Stories/Seed004_ArmCoherentIrqsOff.cs", 48, "DRV2001"),
        ("Stories/Seed004_ArmCoherentIrqsOff.cs", 57, "DRV2002"),
        ("Stories/UdmabufSgWithoutReservation.cs", 41, "DRV1001"),
        ("Stories/UdmabufSgWithoutReservation.cs", 49, "DRV1001"),
        ("Stories/UdmabufSgWithoutReservation.cs", 58, "DRV1001"),
        ("Stories/UfsCqLockIrqSafe.cs", 51, "DRV1012"),
        ("Stories/WorkingsetRcuUnbalanced.cs", 28, "DRV2003"),
        ("Stories/XeImportedBoPut.cs", 31, "DRV1010"),
        ("Stories/XfsDquotShrinker.cs", 37, "DRV1008"),
        ("Stories/AtlanticHwtsRingFreeSize.cs", 49, "DRV3003"),
        ("Stories/MipiDbiBeginCpuAccessLeftOpen.cs", 30, "DRV3001"),
        ("Stories/MxsDcpUncheckedMapping.cs", 31, "DRV3008"),
        ("Stories/NvmeDataMappingLeak.cs", 36, "DRV3001"),
        ("Stories/Seed000_I915DoubleDmaMapping.cs", 40, "DRV3002"),
        ("Stories/Seed000_I915DoubleDmaMapping.cs", 56, "DRV3004"),
        ("Stories/Seed001_VgemImportedMmap.cs", 29, "DRV3005"),
        ("Stories/Seed001_VgemImportedMmap.cs", 42, "DRV3007"),
        ("Stories/Seed003_PinnedVmapUnpinned.cs", 25, "DRV3005"),
        ("Stories/Seed003_PinnedVmapUnpinned.cs", 32, "DRV3005"),
        ("Stories/Seed003_VunmapAfterUnlock.cs", 36, "DRV3006"),
        ("Stories/Seed004_FreeCoherentOtherSize.cs", 47, "DRV3003"),
        ("Stories/ShmemVmapMissingVunmap.cs", 28, "DRV3001"),
    ];

    /// <summary>
    /// Stories whose rules are not in this build yet: their markers say what they will report; until then they must
    /// report nothing, and their markers are not expected to fire. (Empty since the lifetimes family landed.)
    /// </summary>
    private static readonly string[] PendingStories = [];

    /// <summary>What the README promises of `dotnet build` on the gallery.</summary>
    private const int MinFindings = 25;

    private const int MinRules = 15;

    [Fact]
    public async Task The_gallery_reports_exactly_the_pinned_findings()
    {
        var actual = (await GalleryFindings.Value).Select(Key).OrderBy(k => k).ToList();
        var expected = Pinned.Select(p => $"{p.File}({p.Line}): {p.Id}").OrderBy(k => k).ToList();

        var missing = expected.Except(actual).ToList();
        var unexpected = actual.Except(expected).ToList();
        Assert.True(missing.Count == 0 && unexpected.Count == 0,
            "The gallery's findings differ from the pinned set." + Environment.NewLine +
            "Missing:" + Environment.NewLine + string.Join(Environment.NewLine, missing.Select(m => "  " + m)) + Environment.NewLine +
            "Unexpected:" + Environment.NewLine + string.Join(Environment.NewLine, (await GalleryFindings.Value).Where(d => unexpected.Contains(Key(d))).Select(d => "  " + d)));
        Assert.Equal(expected.Count, actual.Count);
    }

    [Fact]
    public async Task Every_finding_is_on_a_marked_line_of_a_buggy_version()
    {
        var findings = await GalleryFindings.Value;
        Assert.NotEmpty(findings);
        foreach (var finding in findings)
        {
            var tree = finding.Location.SourceTree!;
            var line = tree.GetText().Lines[finding.Location.GetLineSpan().StartLinePosition.Line].ToString();
            Assert.True(Marker.Matches(line).Any(m => m.Groups[1].Value == finding.Id), $"{Key(finding)} is not on a line marked '// {finding.Id}': {line.Trim()}");
            Assert.Equal("Buggy", StoryHalf(tree, finding.Location.SourceSpan));
        }
    }

    [Fact]
    public async Task Every_marker_of_a_caught_story_is_reported()
    {
        var findings = (await GalleryFindings.Value).Select(Key).ToHashSet(StringComparer.Ordinal);
        var markers = 0;
        foreach (var tree in GalleryCompilation.Value.SyntaxTrees.Where(t => IsStory(t) && !PendingStories.Contains(Relative(t))))
        {
            foreach (var line in tree.GetText().Lines)
            {
                foreach (Match marker in Marker.Matches(line.ToString()))
                {
                    if (line.ToString().TrimStart().StartsWith("//", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    markers++;
                    var key = $"{Relative(tree)}({line.LineNumber + 1}): {marker.Groups[1].Value}";
                    Assert.True(findings.Contains(key), $"marked but not reported: {key}");
                }
            }
        }

        Assert.Equal(Pinned.Length, markers);
    }

    [Fact]
    public async Task The_fixed_twins_are_silent()
    {
        var findings = await GalleryFindings.Value;
        var stories = GalleryCompilation.Value.SyntaxTrees.Where(IsStory).ToList();
        Assert.NotEmpty(stories);
        foreach (var tree in stories)
        {
            var halves = tree.GetRoot().DescendantNodes().OfType<TypeDeclarationSyntax>().Where(t => t.Parent is not TypeDeclarationSyntax).Select(t => t.Identifier.Text).ToList();
            Assert.True(halves.Contains("Buggy") && halves.Contains("Fixed"), $"{Relative(tree)} must tell the story twice: a Buggy version and its Fixed twin");
        }

        Assert.DoesNotContain(findings, d => StoryHalf(d.Location.SourceTree!, d.Location.SourceSpan) == "Fixed");
    }

    [Fact]
    public async Task Pending_and_missed_stories_report_nothing_yet()
    {
        var findings = await GalleryFindings.Value;
        var silent = GalleryCompilation.Value.SyntaxTrees.Select(Relative).Where(f => PendingStories.Contains(f) || f.StartsWith("KnownMisses/", StringComparison.Ordinal)).ToList();
        foreach (var file in silent)
        {
            Assert.DoesNotContain(findings, d => Relative(d.Location.SourceTree!) == file);
        }
    }

    [Fact]
    public async Task The_gallery_shows_at_least_25_findings_across_15_rules()
    {
        var findings = await GalleryFindings.Value;
        Assert.InRange(findings.Length, MinFindings, int.MaxValue);
        Assert.InRange(findings.Select(d => d.Id).Distinct(StringComparer.Ordinal).Count(), MinRules, int.MaxValue);
    }

    [Fact]
    public async Task Findings_carry_their_reason()
    {
        var findings = await GalleryFindings.Value;
        var chain = Assert.Single(findings, d => Key(d) == "Stories/Seed004_ArmCoherentIrqsOff.cs(48): DRV2001");
        Assert.Equal(
            "'ArmDmaAlloc' may sleep through ArmDmaAlloc → MapVmArea → PteAllocKernel → Slab.Kzalloc(Gfp.Kernel) (its flags may contain Gfp.DirectReclaim) while IRQs are disabled by 'Irq.LocalSave'",
            chain.GetMessage(CultureInfo.InvariantCulture));
        Assert.All(findings, d => Assert.Equal(DiagnosticSeverity.Warning, d.Severity));
    }

    [Fact]
    public async Task The_readme_shows_what_the_build_prints()
    {
        var readme = File.ReadAllText(Path.Combine(Repository.Root, "README.md"));
        var findings = await GalleryFindings.Value;

        var excerpt = ReadmeFinding.Matches(readme).ToList();
        Assert.InRange(excerpt.Count, 5, int.MaxValue);
        foreach (var line in excerpt)
        {
            var file = line.Groups["file"].Value;
            var lineNumber = int.Parse(line.Groups["line"].Value, CultureInfo.InvariantCulture);
            var column = int.Parse(line.Groups["column"].Value, CultureInfo.InvariantCulture);
            Assert.Contains(findings, d =>
                Relative(d.Location.SourceTree!) == file &&
                d.Location.GetLineSpan().StartLinePosition.Line + 1 == lineNumber &&
                d.Location.GetLineSpan().StartLinePosition.Character + 1 == column &&
                d.Id == line.Groups["id"].Value &&
                d.GetMessage(CultureInfo.InvariantCulture) == line.Groups["message"].Value.TrimEnd('\r'));
        }

        Assert.Contains($"    {Pinned.Length} Warning(s)", readme, StringComparison.Ordinal);
        Assert.Contains($"{Pinned.Length} findings across {Pinned.Select(p => p.Id).Distinct().Count()} rules", readme, StringComparison.Ordinal);
        foreach (var tree in GalleryCompilation.Value.SyntaxTrees.Where(t => IsStory(t) || Relative(t).StartsWith("KnownMisses/", StringComparison.Ordinal)))
        {
            Assert.Contains($"`{Relative(tree)}`", readme, StringComparison.Ordinal);
        }
    }

    private static readonly Regex ReadmeFinding = new(@"^(?<file>Stories/[^(]+)\((?<line>\d+),(?<column>\d+)\): warning (?<id>DRV\d{4}): (?<message>.*)$", RegexOptions.Multiline | RegexOptions.CultureInvariant);

    private static string Key(Diagnostic d) => $"{Relative(d.Location.SourceTree!)}({d.Location.GetLineSpan().StartLinePosition.Line + 1}): {d.Id}";

    private static string Relative(SyntaxTree tree) => Path.GetRelativePath(GalleryFolder, tree.FilePath).Replace(Path.DirectorySeparatorChar, '/');

    private static bool IsStory(SyntaxTree tree) => Relative(tree).StartsWith("Stories/", StringComparison.Ordinal);

    /// <summary>"Buggy" or "Fixed": the top-level type of the story the span lies in.</summary>
    private static string? StoryHalf(SyntaxTree tree, Microsoft.CodeAnalysis.Text.TextSpan span) =>
        tree.GetRoot().FindNode(span).AncestorsAndSelf().OfType<TypeDeclarationSyntax>().LastOrDefault()?.Identifier.Text;

    private static async Task<ImmutableArray<Diagnostic>> Analyze(Compilation compilation)
    {
        var (diagnostics, exceptions) = await AnalyzerRun.AnalyzeAsync(compilation);
        Assert.True(exceptions.Count == 0, "The analyzer threw on the gallery:" + Environment.NewLine + string.Join(Environment.NewLine, exceptions));
        return diagnostics.Where(d => d.Id.StartsWith("DRV", StringComparison.Ordinal)).ToImmutableArray();
    }

    /// <summary>The gallery's sources and implicit usings, referencing the sample driver as an assembly, as its build does.</summary>
    private static Compilation CompileGallery()
    {
        var driver = SampleDriverTests.CompileDriver();
        using var image = new MemoryStream();
        var emitted = driver.Emit(image);
        Assert.True(emitted.Success, "The sample driver does not emit:" + Environment.NewLine + string.Join(Environment.NewLine, emitted.Diagnostics.Take(20)));
        var driverReference = MetadataReference.CreateFromImage(image.ToArray());

        var trees = Directory.GetFiles(GalleryFolder, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => AnalyzerRun.Parse(File.ReadAllText(f), f))
            .ToList();
        trees.Add(AnalyzerRun.Parse(
            "global using System; global using System.Collections.Generic; global using System.Linq; global using System.Net.Http; global using System.Threading.Tasks;",
            Path.Combine(GalleryFolder, "obj", "GlobalUsings.g.cs")));

        var compilation = AnalyzerRun.Compile("DriverSafety.SampleDriver.BugGallery", trees).AddReferences(driverReference);
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, "The gallery does not compile here:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Take(20)));
        return compilation;
    }
}
