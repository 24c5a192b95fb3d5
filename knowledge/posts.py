"""Whether a post named in a question is one of the notice's posts: "测量员算不算八大员", "市政质量员要学吗".

Pure: the posts come from the campaign file; the reply is one of its ``composed`` entries, named here with
the values it takes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Words ending like a post that are no post.
_NOT_POSTS = ("人员", "学员", "会员", "成员", "八大员", "职员", "官员", "店员", "社员", "党员", "团员")


def _shortened(word: str, post: str) -> bool:
    """Whether ``word`` is ``post`` with characters left out ("市政质量员" of 市政工程质量员), same ending."""
    if word[-2:] != post[-2:]:
        return False
    rest = iter(post)
    return all(ch in rest for ch in word)


def post_check(
    posts: tuple[str, ...], entities: list[Mapping[str, Any]], words: tuple[str, ...] = ()
) -> tuple[str, dict[str, Any]] | None:
    """The ``composed`` entry answering whether the post named is listed, with its values, or None when no
    post is named: ``words`` are the words ending like a post, ``entities`` the classifier's post entities."""
    count = str(len(posts))
    # "…安全员、造价员等。测量员算不算": a post the notice does not list is the one asked about
    for word in words:
        if word.endswith(_NOT_POSTS) or any(
            post.endswith(word[-3:]) or _shortened(word, post) for post in posts
        ):
            continue  # "拿的施工员" ends in a listed post
        return "post_unlisted", {"post": word, "posts_count": count}
    for entity in entities:
        if entity.get("entity") != "post":
            continue
        named = str(entity["value"])
        if any(named in post or post in named for post in posts):
            return "post_in", {"verdict": True, "post": named, "posts_count": count}
    for word in words:
        if word.endswith(_NOT_POSTS):
            continue
        listed = next((post for post in posts if _shortened(word, post)), None)
        if listed is not None:  # "市政质量员" for 市政工程质量员
            return "post_in", {"verdict": True, "post": listed, "posts_count": count}
        # a word only ending in a listed post ("拿的施工员"), with no post entity to name it
        return "post_unlisted", {"post": word, "posts_count": count}
    return None
