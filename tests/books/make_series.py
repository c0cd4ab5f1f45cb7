"""Write the test series: 42 short, dated articles of a neighbourhood bakery's monthly letter."""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent / "series"

BREADS = ["식빵", "바게트", "단팥빵", "소금빵", "호밀빵", "크루아상", "깜빠뉴", "쑥떡빵", "치아바타", "베이글",
          "모닝빵", "밤식빵", "옥수수빵", "카스텔라"]
SCENES = [
    "새벽 네 시에 반죽을 꺼내 보니 밤새 부푼 모양이 어제와 조금 달랐다.",
    "오븐 앞에 서 있으면 겨울에도 이마에 땀이 맺힌다.",
    "첫 손님은 늘 길 건너 세탁소 사장님이다.",
    "밀가루 포대를 옮기다가 허리를 삐끗해 하루를 쉬었다.",
    "동네 초등학교 아이들이 견학을 와서 반죽을 한 덩이씩 만져 보고 갔다.",
    "비가 오는 날에는 빵이 덜 팔리지만 이야기는 더 많이 나눈다.",
    "새로 들인 발효기 덕분에 아침 준비가 삼십 분 빨라졌다.",
    "이웃 꽃집에서 남은 꽃을 한 다발 들고 와 계산대 옆에 꽂아 두었다.",
]
NOTES = [
    "이번 달에는 버터를 12% 줄이고 우유를 조금 더 넣었다.",
    "한 판에 24개씩, 하루 세 판을 굽는다.",
    "가격은 한 개에 3,500원으로 그대로 두기로 했다.",
    "반죽 온도는 26℃를 넘지 않게 맞춘다.",
    "밀가루는 1kg 단위로 계량해 두면 아침이 편하다.",
]


def article(n: int) -> tuple[str, str]:
    year, month = 2023 + (n - 1) // 12, (n - 1) % 12 + 1
    bread = BREADS[n % len(BREADS)]
    title = f"{month}월의 {bread}"
    body = (f"{SCENES[n % len(SCENES)]} {SCENES[(n * 3 + 1) % len(SCENES)]}\n\n"
            f"이번 달의 빵은 {bread}이다. {NOTES[n % len(NOTES)]} 단골손님들은 “지난번보다 "
            f"{'부드럽다' if n % 2 else '고소하다'}”고 했다.\n")
    if n % 5 == 0:
        body += f"\n## 작업 노트\n\n- 반죽 {n % 4 + 2}번 접기\n- 굽는 시간 {18 + n % 7}분\n"
    text = f"---\ntitle: \"{title}\"\ndate: {year}-{month:02d}-{10 + n % 15}\nauthor: 박보리\n---\n\n{body}"
    return f"{n:02d}-letter.md", text


def main() -> None:
    folder = HERE / "articles"
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(1, 43):
        name, text = article(n)
        (folder / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
