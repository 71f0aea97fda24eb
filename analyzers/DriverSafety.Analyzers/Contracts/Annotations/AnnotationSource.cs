using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Contracts.Annotations
{
    /// <summary>
    /// The one per-compilation answer to "which DriverSafety annotations does this symbol carry": its real attributes
    /// (source or metadata) followed by the lines of the external annotations files that name it, in file order.
    /// Every reader asks here instead of calling <see cref="ISymbol.GetAttributes"/>, so a contract from a file behaves
    /// exactly like the same attribute written in source. Built once at compilation start; never throws.
    /// </summary>
    internal sealed class AnnotationSource
    {
        private readonly ImmutableDictionary<ISymbol, ImmutableArray<Annotation>> _external;
        private readonly ConcurrentDictionary<ISymbol, ImmutableArray<Annotation>> _cache =
            new ConcurrentDictionary<ISymbol, ImmutableArray<Annotation>>(SymbolEqualityComparer.Default);

        private AnnotationSource(ImmutableDictionary<ISymbol, ImmutableArray<Annotation>> external, ImmutableArray<ExternalAnnotationFile> files)
        {
            _external = external;
            Files = files;
        }

        /// <summary>
        /// No external annotations: every symbol has exactly its attributes. A new instance each time: the cache holds
        /// one compilation's symbols and must not outlive it.
        /// </summary>
        public static AnnotationSource CreateEmpty() =>
            new AnnotationSource(ImmutableDictionary.Create<ISymbol, ImmutableArray<Annotation>>(SymbolEqualityComparer.Default), ImmutableArray<ExternalAnnotationFile>.Empty);

        /// <summary>The external annotations files of the compilation, ordered by path, with their DRV9005 findings.</summary>
        public ImmutableArray<ExternalAnnotationFile> Files { get; }

        /// <summary>True when some file annotates something.</summary>
        public bool HasExternal => !_external.IsEmpty;

        /// <summary>The symbols the files annotate (parameters included), in file and line order.</summary>
        public IEnumerable<ISymbol> ExternallyAnnotated => Files.SelectMany(f => f.Annotated).Distinct<ISymbol>(SymbolEqualityComparer.Default);

        /// <summary>Reads the external annotations files among <paramref name="additionalFiles"/>.</summary>
        public static AnnotationSource Create(Compilation compilation, ImmutableArray<AdditionalText> additionalFiles, CancellationToken cancellation)
        {
            if (additionalFiles.IsDefaultOrEmpty)
            {
                return CreateEmpty();
            }

            var files = ImmutableArray.CreateBuilder<ExternalAnnotationFile>();
            foreach (var text in additionalFiles.Where(f => f is not null && ExternalAnnotationFile.IsAnnotationsFile(f.Path)).OrderBy(f => f.Path, StringComparer.Ordinal))
            {
                cancellation.ThrowIfCancellationRequested();
                files.Add(ExternalAnnotationFile.Read(text, compilation, cancellation));
            }

            if (files.Count == 0)
            {
                return CreateEmpty();
            }

            var external = new Dictionary<ISymbol, List<Annotation>>(SymbolEqualityComparer.Default);
            foreach (var file in files)
            {
                foreach (var (symbol, annotation) in file.Entries)
                {
                    if (!external.TryGetValue(symbol, out var list))
                    {
                        list = new List<Annotation>();
                        external.Add(symbol, list);
                    }

                    list.Add(annotation);
                }
            }

            return new AnnotationSource(
                external.ToImmutableDictionary(p => p.Key, p => p.Value.ToImmutableArray(), SymbolEqualityComparer.Default),
                files.ToImmutable());
        }

        /// <summary>The symbol's annotations: its attributes, then the external lines naming its original definition.</summary>
        public ImmutableArray<Annotation> Of(ISymbol? symbol)
        {
            if (symbol is null)
            {
                return ImmutableArray<Annotation>.Empty;
            }

            return _cache.TryGetValue(symbol, out var known) ? known : Read(symbol);
        }

        // Apart from Of, which is asked per call and per argument: the closure is only made on a miss.
        private ImmutableArray<Annotation> Read(ISymbol symbol)
        {
            return _cache.GetOrAdd(symbol, s =>
            {
                var own = s.GetAttributes().Select(Annotation.FromAttribute).ToImmutableArray();
                return _external.TryGetValue(KeyOf(s), out var more) ? own.AddRange(more) : own;
            });
        }

        /// <summary>The symbol a documentation-comment id names: the original definition (a parameter of it, for a parameter).</summary>
        internal static ISymbol KeyOf(ISymbol symbol)
        {
            if (symbol is IParameterSymbol parameter && parameter.ContainingSymbol is IMethodSymbol { ReducedFrom: { } reducedFrom })
            {
                var ordinal = parameter.Ordinal + 1;
                return ordinal < reducedFrom.Parameters.Length ? reducedFrom.OriginalDefinition.Parameters[ordinal] : symbol.OriginalDefinition;
            }

            if (symbol is IMethodSymbol { ReducedFrom: { } reduced })
            {
                return reduced.OriginalDefinition;
            }

            return symbol.OriginalDefinition;
        }
    }
}
