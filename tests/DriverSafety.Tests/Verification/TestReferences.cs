using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Tests.Verification;

/// <summary>The metadata references of a test compilation, found once per test run.</summary>
public static class TestReferences
{
    private const string TargetFramework = "net10.0";

    private static readonly Lazy<ImmutableArray<MetadataReference>> LazyFramework = new(LoadFramework);

    private static readonly Lazy<MetadataReference> LazyAnnotations =
        new(() => MetadataReference.CreateFromFile(typeof(GuardedByAttribute).Assembly.Location));

    /// <summary>Every reference assembly of the SDK's newest Microsoft.NETCore.App.Ref pack that has a net10.0 folder.</summary>
    public static ImmutableArray<MetadataReference> Framework => LazyFramework.Value;

    /// <summary>DriverSafety.Annotations.dll, the attributes the analyzer reads.</summary>
    public static MetadataReference Annotations => LazyAnnotations.Value;

    private static ImmutableArray<MetadataReference> LoadFramework()
    {
        // typeof(object) lives in <dotnet>/shared/Microsoft.NETCore.App/<version>/System.Private.CoreLib.dll.
        var runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        var dotnetRoot = Path.GetFullPath(Path.Combine(runtimeDirectory, "..", "..", ".."));
        var packs = Path.Combine(dotnetRoot, "packs", "Microsoft.NETCore.App.Ref");
        if (!Directory.Exists(packs))
        {
            throw new InvalidOperationException($"No reference pack folder at '{packs}' (dotnet root '{dotnetRoot}').");
        }

        var refFolder = Directory.GetDirectories(packs)
            .Select(dir => (Dir: dir, Version: ParseVersion(Path.GetFileName(dir))))
            .Where(candidate => candidate.Version is not null)
            .OrderByDescending(candidate => candidate.Version)
            .Select(candidate => Path.Combine(candidate.Dir, "ref", TargetFramework))
            .FirstOrDefault(Directory.Exists)
            ?? throw new InvalidOperationException($"No version under '{packs}' has a ref/{TargetFramework} folder.");

        return Directory.GetFiles(refFolder, "*.dll")
            .OrderBy(path => path, StringComparer.Ordinal)
            .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
            .ToImmutableArray();
    }

    /// <summary>Parses "10.0.12" or "10.0.0-rc.1.25451.107" (the prerelease suffix is ignored for ordering).</summary>
    private static Version? ParseVersion(string folderName)
    {
        var dash = folderName.IndexOf('-');
        var core = dash < 0 ? folderName : folderName.Substring(0, dash);
        return Version.TryParse(core, out var version) ? version : null;
    }
}
