using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace DriverSafety.Analyzers.Contracts
{
    /// <summary>
    /// Which methods of the compilation return a fresh object (SPEC §7.13): every <c>return</c> returns a <c>new</c>
    /// object or the result of a method that does. Decided from the bodies' syntax, once per method; recursion counts as
    /// not fresh.
    /// </summary>
    internal static class FreshObjects
    {
        private static readonly ConditionalWeakTable<ContractProvider, ConcurrentDictionary<IMethodSymbol, bool>> Caches =
            new ConditionalWeakTable<ContractProvider, ConcurrentDictionary<IMethodSymbol, bool>>();

        public static bool Returns(ContractProvider contracts, IMethodSymbol method)
        {
            var cache = Caches.GetValue(contracts, _ => new ConcurrentDictionary<IMethodSymbol, bool>(SymbolEqualityComparer.Default));
            return Returns(contracts, method.OriginalDefinition, cache, new HashSet<IMethodSymbol>(SymbolEqualityComparer.Default));
        }

        private static bool Returns(ContractProvider contracts, IMethodSymbol method, ConcurrentDictionary<IMethodSymbol, bool> cache, HashSet<IMethodSymbol> visiting)
        {
            if (cache.TryGetValue(method, out var known))
            {
                return known;
            }

            if (method.IsAbstract || method.IsVirtual || method.IsExtern || method.DeclaringSyntaxReferences.Length != 1 || !visiting.Add(method))
            {
                return false;
            }

            var result = Decide(contracts, method, cache, visiting);
            visiting.Remove(method);
            cache[method] = result;
            return result;
        }

        private static bool Decide(ContractProvider contracts, IMethodSymbol method, ConcurrentDictionary<IMethodSymbol, bool> cache, HashSet<IMethodSymbol> visiting)
        {
            var syntax = method.DeclaringSyntaxReferences[0].GetSyntax();
            var returned = new List<ExpressionSyntax>();
            switch (syntax)
            {
                case BaseMethodDeclarationSyntax { ExpressionBody: { } arrow }:
                    returned.Add(arrow.Expression);
                    break;
                case BaseMethodDeclarationSyntax { Body: { } body }:
                    foreach (var node in body.DescendantNodes(n => n is not (LocalFunctionStatementSyntax or AnonymousFunctionExpressionSyntax)))
                    {
                        if (node is ReturnStatementSyntax ret)
                        {
                            if (ret.Expression is null)
                            {
                                return false;
                            }

                            returned.Add(ret.Expression);
                        }
                    }

                    break;
                default:
                    return false;
            }

            if (returned.Count == 0)
            {
                return false;
            }

            var model = contracts.Models.For(syntax.SyntaxTree);
            foreach (var expression in returned)
            {
                var inner = expression;
                while (inner is ParenthesizedExpressionSyntax parenthesized)
                {
                    inner = parenthesized.Expression;
                }

                switch (inner)
                {
                    case ObjectCreationExpressionSyntax or ImplicitObjectCreationExpressionSyntax:
                        continue;
                    case InvocationExpressionSyntax invocation when model.GetSymbolInfo(invocation).Symbol is IMethodSymbol callee &&
                        callee.ReturnType.IsReferenceType && Returns(contracts, callee.OriginalDefinition, cache, visiting):
                        continue;
                    default:
                        return false;
                }
            }

            return true;
        }
    }
}
