fn main() {
    println!("shipgate: not implemented yet");
}
